//! `cspctl validate`: every kind of YAML problem is reported with file, line, column and a
//! snippet, and a valid workspace is summarised in one line.

use insta::assert_snapshot;

use crate::support::{TestWorkspace, cspctl};

const PRODUCTS: &str = r#"products:
  - key: m365-bp-annual-monthly
    dicker_data: { stock_code: "P1Y:CFQ7TTC0LCHC:0002:1:" }
    psa: { product: "M365-BP-ANN-M" }
  - key: m365-e3-monthly
    dicker_data: { stock_code: "P1M:CFQ7TTC0LFLZ:0001:1:" }
    psa: { product: "M365-E3-M" }
"#;

const CONTOSO: &str = r#"clients:
  - dicker_data: "123456"
    name: "Contoso Pty Ltd"
    company: "Contoso"
    agreement: "Contoso - Microsoft 365"
    products: { m365-bp-annual-monthly: { agreement: "Contoso - Annual" } }
"#;

fn workspace() -> TestWorkspace {
    TestWorkspace::new().settings_sandbox("{}\n").file("products.yaml", PRODUCTS)
}

#[test]
fn valid_workspace_is_summarised() {
    let ws = workspace()
        .file("clients/contoso.yaml", CONTOSO)
        .file("clients/ignored.yml", "clients:\n  - dicker_data: \"654321\"\n    ignore: true\n");
    assert_snapshot!(cspctl(&["validate", "."], ws.path()), @r"
    exit: 0
    --- stdout
    .: valid (2 products, 2 clients)
    --- stderr
    ");
}

#[test]
fn syntax_error() {
    let ws = workspace()
        .file("clients/contoso.yaml", "clients:\n  - dicker_data: \"123456\n    company: Contoso\n");
    crate::assert_cli_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn duplicate_key() {
    let ws = workspace().file(
        "clients/contoso.yaml",
        "clients:\n  - dicker_data: \"123456\"\n    company: Contoso\n    agreement: A\n    company: Fabrikam\n",
    );
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn unknown_field_suggests_the_closest() {
    let ws = workspace().file("clients/contoso.yaml", &CONTOSO.replace("    agreement:", "    agrement:"));
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn wrong_type() {
    let ws = workspace().file("clients/contoso.yaml", &CONTOSO.replace("\"123456\"", "[123456]"));
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn wrong_enum_value() {
    let ws =
        workspace().file("clients/contoso.yaml", &format!("{CONTOSO}    on_licence_removed: set-zero\n"));
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn undefined_product_reference() {
    let ws = workspace()
        .file("clients/contoso.yaml", &CONTOSO.replace("m365-bp-annual-monthly", "m365-bp-anual-monthly"));
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn same_client_in_two_files() {
    let ws = workspace()
        .file("clients/contoso.yaml", CONTOSO)
        .file("clients/more.yaml", &CONTOSO.replace("Contoso Pty Ltd", "Contoso (again)"));
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn same_product_key_twice() {
    let ws = workspace().file("more-products.yaml", &PRODUCTS.lines().take(4).collect::<Vec<_>>().join("\n"));
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn secret_in_yaml_is_masked() {
    let ws = workspace().settings(
        "version: 1\ndistributor: sandbox\npsa:\n  connectwise:\n    site: api-au.myconnectwise.net\n    company: mymsp\n    private_key: \"Zq8Xv2Lr7Tn4Wb1Ks9Hd3Mf6\"\nsandbox: { state: state.yaml }\n",
    );
    let out = cspctl(&["validate"], ws.path());
    assert!(!out.contains("Zq8Xv2Lr7Tn4Wb1Ks9Hd3Mf6"), "the secret is echoed:\n{out}");
    assert_snapshot!(out);
}

#[test]
fn secret_shaped_value_is_masked() {
    let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtc3AifQ.c2VjcmV0LXNpZ25hdHVyZS12YWx1ZQ";
    let ws = workspace().file("clients/contoso.yaml", &CONTOSO.replace("Contoso Pty Ltd", token));
    let out = cspctl(&["validate"], ws.path());
    assert!(!out.contains(token), "the secret is echoed:\n{out}");
    assert_snapshot!(out);
}

#[test]
fn microsoft_side_contradicting_the_stock_code() {
    let products = PRODUCTS.replace(
        "    psa: { product: \"M365-BP-ANN-M\" }",
        "    microsoft: { product: CFQ7TTC0LCHC, sku: \"0003\", term: P1M }\n    psa: { product: \"M365-BP-ANN-M\" }",
    );
    let ws = workspace().file("products.yaml", &products);
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn invalid_stock_code() {
    let ws = workspace().file("products.yaml", &PRODUCTS.replace("CFQ7TTC0LFLZ", "CFQ7TTC0LF"));
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn client_without_company_or_agreement() {
    let ws = workspace()
        .file("clients/contoso.yaml", "clients:\n  - dicker_data: \"123456\"\n    name: Contoso\n");
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn settings_outside_cspctl_yaml_and_bad_version() {
    let ws = workspace()
        .settings("version: 2\ndistributor: sandbox\npsa: sandbox\nsandbox: { state: state.yaml }\n")
        .file("clients/contoso.yaml", &format!("defaults: {{ on_licence_removed: keep }}\n{CONTOSO}"));
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn missing_settings_file() {
    let ws = TestWorkspace::new().file("products.yaml", PRODUCTS);
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn all_problems_are_reported_at_once() {
    let ws = workspace()
        .file(
            "clients/a.yaml",
            "clients:\n  - dicker_data: \"1\"\n    company: A\n    agreement: A\n    colour: blue\n",
        )
        .file("clients/b.yaml", "clients: [\n")
        .file("clients/c.yaml", "clients:\n  - dicker_data: \"3\"\n    ignore: maybe\n");
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn yaml_bomb_is_refused() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (i, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().enumerate() {
        let prev =
            if i == 0 { "a".to_string() } else { ["b", "c", "d", "e", "f", "g", "h"][i - 1].to_string() };
        bomb.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    let ws = workspace().file("bomb.yaml", &bomb);
    let out = cspctl(&["validate"], ws.path());
    assert!(out.starts_with("exit: 1"), "{out}");
    assert!(out.contains("bomb.yaml:"), "{out}");
}

#[test]
fn state_file_and_hidden_directories_are_not_workspace_files() {
    let ws = workspace()
        .file("clients/contoso.yaml", CONTOSO)
        .file(".github/workflows/ci.yml", "on: push\njobs: {}\n")
        .file("state.yaml", "dicker_data: { customers: [] }\n");
    assert_snapshot!(cspctl(&["validate", "."], ws.path()), @r"
    exit: 0
    --- stdout
    .: valid (2 products, 1 client)
    --- stderr
    ");
}

#[test]
fn unknown_provider_and_missing_setting() {
    let ws = workspace().settings(
        "version: 1\ndistributor: { dicker_data: { export: annuity.xlsx } }\npsa: { conectwise: { site: api-au.myconnectwise.net } }\nsandbox: { state: state.yaml }\n",
    );
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn missing_field_of_a_provider() {
    let ws = workspace()
        .settings("version: 1\ndistributor: sandbox\npsa: { connectwise: { site: api-au.myconnectwise.net } }\nsandbox: { state: state.yaml }\n");
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn sandbox_side_needs_a_state_file() {
    let ws = workspace().settings("version: 1\ndistributor: sandbox\npsa: sandbox\n");
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn dicker_data_needs_exactly_one_source() {
    let both = workspace().settings(
        "version: 1\ndistributor: { dicker_data: { export: annuity.xlsx, api: {} } }\npsa: sandbox\nsandbox: { state: state.yaml }\n",
    );
    assert_snapshot!(cspctl(&["validate"], both.path()));
}

#[test]
fn one_document_per_file() {
    let ws = workspace().file("clients/contoso.yaml", &format!("{CONTOSO}---\nclients: []\n"));
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn same_stock_code_mapped_twice() {
    let ws = workspace().file(
        "more-products.yaml",
        "products:\n  - key: business-premium\n    dicker_data: { stock_code: \"p1y:cfq7ttc0lchc:0002:1\" }\n    psa: { product: \"BP\" }\n",
    );
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn number_too_large_for_its_field() {
    let ws = workspace().file(
        "clients/contoso.yaml",
        &CONTOSO.replace(
            "agreement: \"Contoso - Annual\" }",
            "agreement: \"Contoso - Annual\", included: 5000000000 }",
        ),
    );
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn broken_settings_do_not_drag_in_the_state_file() {
    let ws = workspace()
        .settings("version: 1\ndistributor: sandbox\npsa: sandbox\nsandbox: { state: \"state.yaml\" }\ndefaults: [\n")
        .file("state.yaml", "dicker_data: { customers: [] }\n");
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn unknown_time_zone_points_at_the_setting() {
    let ws = workspace().settings(
        "version: 1\ndistributor: sandbox\npsa: sandbox\nsandbox: { state: state.yaml }\ntimezone: Pacific/Aukland\n",
    );
    assert_snapshot!(cspctl(&["validate"], ws.path()), @r"
    exit: 1
    --- stdout
    --- stderr
    error: `Pacific/Aukland` is not an IANA time zone name
     --> ./cspctl.yaml:5:11
      |
    4 | sandbox: { state: state.yaml }
    5 | timezone: Pacific/Aukland
      |           ^^^^^^^^^^^^^^^ unknown time zone
      |
      = help: did you mean `Pacific/Auckland`? Zones are IANA names such as `Australia/Sydney` or `Pacific/Auckland`

    .: invalid (1 problem)
    ");
}

#[test]
fn exceptions_name_a_billed_client_and_a_product_once() {
    let ws = workspace()
        .file("clients/contoso.yaml", CONTOSO)
        .file("clients/ignored.yml", "clients:\n  - dicker_data: \"654321\"\n    ignore: true\n")
        .file(
            "exceptions.yaml",
            r#"exceptions:
  - { client: "123456", product: m365-bp-annual-monthly, dicker_data: 5, psa: 4, reason: owner's seat }
  - { client: "123456", product: m365-bp-annual-monthly, dicker_data: 6, psa: 4, reason: again }
  - { client: "123465", product: m365-bp-annual-montly, dicker_data: 1, psa: 0, reason: typos }
  - { client: "654321", product: m365-e3-monthly, dicker_data: 1, psa: 0, reason: ignored client }
"#,
        );
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn exceptions_need_a_reason_and_an_iso_expiry() {
    let ws = workspace().file("clients/contoso.yaml", CONTOSO).file(
        "exceptions.yaml",
        "exceptions:\n  - { client: \"123456\", product: m365-e3-monthly, dicker_data: 1, psa: 0, reason: \"\", expires: 31-12-2026 }\n",
    );
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}

#[test]
fn tenant_settings_are_checked() {
    let ws = workspace()
        .file("clients/contoso.yaml", &format!("currency: AUD\n{CONTOSO}"))
        .settings(&format!("{}currency: USD\nrenewal_window_days: -1\n", crate::support::SANDBOX_SETTINGS));
    assert_snapshot!(cspctl(&["validate"], ws.path()));
}
