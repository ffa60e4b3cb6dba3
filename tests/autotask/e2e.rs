//! End to end over loopback: the `examples/autotask` workspace, the reconcile core, the apply
//! executor and the Autotask client against the simulator.

use std::path::{Path, PathBuf};

use cspctl::config::Workspace;
use cspctl::live::Psa;
use cspctl::live::autotask::Autotask;
use cspctl::live::sandbox::SandboxState;
use cspctl::model::LicenceStatus;
use cspctl::reconcile::Plan;
use cspctl::sim::RunningSim;

use super::support::{client, start, today};

/// The example workspace copied to a temp dir, pointed at `sim`.
pub struct Example {
    pub dir: tempfile::TempDir,
    pub state: SandboxState,
}

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/autotask")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read example") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

impl Example {
    pub fn new() -> Example {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(&example_dir(), dir.path());
        let state = SandboxState::load(&dir.path().join("state.yaml")).expect("example state");
        Example { dir, state }
    }

    /// Loads the workspace with `base_url` pointing at `sim`.
    pub fn workspace(&self, sim: &RunningSim) -> Workspace {
        let path = self.dir.path().join("cspctl.yaml");
        let text = std::fs::read_to_string(&path).expect("cspctl.yaml");
        let text = text.replace("http://127.0.0.1:8080", &sim.url());
        std::fs::write(&path, text).expect("write cspctl.yaml");
        match cspctl::config::load(self.dir.path()) {
            Ok(ws) => ws,
            Err(e) => panic!("example workspace: {e}"),
        }
    }
}

pub async fn plan(ws: &Workspace, state: &SandboxState, psa: &Autotask) -> Plan {
    let scope = cspctl::reconcile::scope(ws);
    let live = match psa.snapshot(&scope).await {
        Ok(s) => s,
        Err(e) => panic!("snapshot: {e}"),
    };
    cspctl::reconcile::plan(ws, &state.dicker_data, &live, today())
}

pub async fn apply(plan: &Plan, psa: &Autotask) {
    let outcomes = cspctl::apply::execute(plan, psa, 4, |_, _| {}).await;
    for o in outcomes {
        if let Err(e) = &o.result {
            panic!("{:?} failed: {e}", o.action.write);
        }
    }
}

/// Sum of active Dicker Data quantities per (customer, stock code).
pub fn held(state: &SandboxState, customer: &str, stock_code: &str) -> u32 {
    let code: cspctl::model::StockCode = stock_code.parse().expect("stock code");
    state
        .dicker_data
        .licences
        .iter()
        .filter(|l| l.customer == customer && l.stock_code == code && l.status == LicenceStatus::Active)
        .map(|l| l.quantity)
        .sum()
}

pub async fn example_sim() -> (Example, RunningSim, Autotask, Workspace) {
    let example = Example::new();
    let sim = start(example.state.clone()).await;
    let psa = client(&sim);
    let ws = example.workspace(&sim);
    (example, sim, psa, ws)
}
