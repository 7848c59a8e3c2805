//! An in-memory cloud. Like AWS it refuses a create or an update that names a missing resource,
//! a create that would make a second resource of its kind with the same values in all of the
//! kind's unique fields (two security groups of one name in a VPC), and a delete while another
//! resource still refers to the one being deleted.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::Value;
use strata_engine::desired::Desired;
use strata_engine::exec::{self, Cancel, Event, ExecOptions, Outcome, Reporter};
use strata_engine::lockfile::{self, Lockfile};
use strata_engine::plan::{self, Mode, Plan, PlanInput};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, Provider, ProviderError,
    ReadRequest, UpdateRequest,
};
use strata_engine::read;
use strata_engine::value::Attrs;
use strata_model::VarInputs;
use strata_model::source::SourceFile;

#[derive(Debug, Default)]
pub struct CloudState {
    pub resources: BTreeMap<String, LiveResource>,
    pub next: u64,
    pub calls: Vec<String>,
    /// Creates of these names fail.
    pub fail_create: Vec<String>,
    /// Like AWS, a tag holding another resource's id does not keep that resource from being
    /// deleted (by default this cloud is stricter: any attribute naming it does).
    pub tags_hold_no_references: bool,
    /// Attributes AWS computes that a create gives these names (`alb` → `dns_name`), as
    /// `NAME-ATTR.example`.
    pub computed: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct FakeCloud(pub Arc<Mutex<CloudState>>);

fn ids_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.starts_with("fake-") => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| ids_in(x, out)),
        Value::Object(m) => m.values().for_each(|x| ids_in(x, out)),
        _ => {}
    }
}

impl FakeCloud {
    pub fn state(&self) -> std::sync::MutexGuard<'_, CloudState> {
        self.0.lock().expect("lock")
    }

    pub fn count(&self) -> usize {
        self.state().resources.len()
    }

    /// `(resource, id)` for every id a live resource names (tags included) that no longer
    /// exists.
    pub fn dangling(&self) -> Vec<(String, String)> {
        let s = self.state();
        let mut out = Vec::new();
        for r in s.resources.values() {
            let mut refs = Vec::new();
            ids_in(&Value::Object(r.attrs.clone()), &mut refs);
            for id in refs.into_iter().filter(|id| !s.resources.contains_key(id)) {
                out.push((r.name.clone().unwrap_or_default(), id));
            }
        }
        out
    }

    pub fn find(&self, name: &str) -> Option<LiveResource> {
        self.state()
            .resources
            .values()
            .find(|r| r.name.as_deref() == Some(name))
            .cloned()
    }
}

#[async_trait]
impl Provider for FakeCloud {
    async fn read(&self, req: ReadRequest<'_>) -> Result<Vec<LiveResource>, ProviderError> {
        let mut s = self.state();
        s.calls.push(format!("read {}", req.kind));
        Ok(s.resources
            .values()
            .filter(|r| r.kind == req.kind)
            .filter(|r| req.ids.contains(&r.id) || r.stack.as_deref() == Some(req.stack))
            .cloned()
            .collect())
    }

    async fn create(
        &self,
        req: CreateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        tokio::task::yield_now().await;
        let mut s = self.state();
        s.calls.push(format!("create {}", req.name));
        if s.fail_create.iter().any(|n| n == req.name) {
            return Err(ProviderError::new(
                ErrorClass::Invalid,
                format!("refusing to create {}", req.name),
            ));
        }
        let mut refs = Vec::new();
        ids_in(&Value::Object(req.attrs.clone()), &mut refs);
        for r in refs {
            if !s.resources.contains_key(&r) {
                return Err(ProviderError::new(
                    ErrorClass::NotFound,
                    format!("{} refers to missing {r}", req.name),
                ));
            }
        }
        if let Some(kind) = strata_model::kinds::find(req.kind) {
            let unique: Vec<&str> = kind.unique_fields().map(|f| f.name).collect();
            let key = |a: &Attrs| -> Option<Vec<Value>> {
                unique
                    .iter()
                    .map(|f| a.get(*f).filter(|v| !v.is_null()).cloned())
                    .collect()
            };
            if let Some(k) = key(req.attrs).filter(|_| !unique.is_empty())
                && let Some(other) = s
                    .resources
                    .values()
                    .find(|r| r.kind == req.kind && key(&r.attrs).as_ref() == Some(&k))
            {
                return Err(ProviderError::new(
                    ErrorClass::Invalid,
                    format!(
                        "{} has the same {} as {}",
                        req.name,
                        unique.join(", "),
                        other.id
                    ),
                ));
            }
        }
        s.next += 1;
        let id = format!("fake-{}", s.next);
        let mut attrs = req.attrs.clone();
        for attr in s.computed.get(req.name).into_iter().flatten() {
            attrs
                .entry(attr.clone())
                .or_insert_with(|| Value::String(format!("{}-{attr}.example", req.name)));
        }
        // As AWS does: a name given as a prefix is completed, and only the name is kept.
        if let Some(np) = strata_model::kinds::find(req.kind).and_then(|k| k.policy.name_prefix)
            && let Some(Value::String(prefix)) = attrs.remove(np.prefix)
        {
            let name = strata_model::kinds::name_with_suffix(&prefix, req.token);
            attrs.insert(np.name.to_string(), Value::String(name));
        }
        let r = LiveResource::new(req.kind, &id, attrs).owned_by(req.owner());
        s.resources.insert(id, r.clone());
        Ok(r)
    }

    async fn update(
        &self,
        req: UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        tokio::task::yield_now().await;
        let mut s = self.state();
        s.calls.push(format!("update {}", req.name));
        let mut refs = Vec::new();
        for f in req.changed {
            if let Some(v) = req.attrs.get(f) {
                ids_in(v, &mut refs);
            }
        }
        if let Some(r) = refs.iter().find(|r| !s.resources.contains_key(*r)) {
            return Err(ProviderError::new(
                ErrorClass::NotFound,
                format!("{} refers to missing {r}", req.name),
            ));
        }
        let Some(r) = s.resources.get_mut(req.id) else {
            return Err(ProviderError::new(ErrorClass::NotFound, "gone"));
        };
        for f in req.changed {
            match req.attrs.get(f) {
                Some(v) => r.attrs.insert(f.clone(), v.clone()),
                None => r.attrs.remove(f),
            };
        }
        if req.changed.iter().any(|f| f == "tags") {
            // As AWS's sync of the tags: the ownership tags go along and are repaired.
            *r = r.clone().owned_by(req.owner());
        }
        Ok(r.clone())
    }

    async fn delete(&self, req: DeleteRequest<'_>, _: &Progress) -> Result<(), ProviderError> {
        tokio::task::yield_now().await;
        let mut s = self.state();
        s.calls.push(format!("delete {}", req.name));
        for other in s.resources.values() {
            let mut refs = Vec::new();
            let mut attrs = other.attrs.clone();
            if s.tags_hold_no_references {
                attrs.remove("tags");
            }
            ids_in(&Value::Object(attrs), &mut refs);
            if other.id != req.id && refs.iter().any(|r| r == req.id) {
                return Err(ProviderError::new(
                    ErrorClass::DependencyViolation,
                    format!("{} is still used by {}", req.id, other.id),
                ));
            }
        }
        s.resources.remove(req.id);
        Ok(())
    }
}

pub struct Quiet(pub Vec<String>);

impl Reporter for Quiet {
    fn event(&mut self, e: &Event) {
        if let Event::Started { label } = e {
            self.0.push(label.clone());
        }
    }
}

pub fn desired(src: &str) -> Desired {
    let loaded = strata_model::load::load_sources(
        vec![SourceFile::new("stack.yaml", src)],
        &VarInputs::default(),
    )
    .unwrap_or_else(|e| {
        panic!(
            "{}",
            strata_model::diag::render(&e.diagnostics, &e.sources, false, 100)
        )
    });
    Desired::from_stack(&loaded.stack, "us-east-1")
}

/// A working directory with a lockfile path.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub cloud: FakeCloud,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("tempdir"),
            cloud: FakeCloud::default(),
        }
    }

    pub fn lock_path(&self) -> std::path::PathBuf {
        self.dir.path().join("strata.lock")
    }

    pub fn lockfile(&self) -> Option<Lockfile> {
        lockfile::read(&self.lock_path()).expect("lockfile readable")
    }

    pub async fn plan(&self, d: &Desired, mode: Mode) -> Result<Plan, plan::PlanError> {
        self.plan_with(d, mode, false).await
    }

    /// [`Env::plan`], with `--adopt-foreign` or without.
    pub async fn plan_with(
        &self,
        d: &Desired,
        mode: Mode,
        adopt_foreign: bool,
    ) -> Result<Plan, plan::PlanError> {
        let lf = self.lockfile();
        let reqs = read::read_requests(d, lf.as_ref());
        let live = read::read_live(&self.cloud, &d.stack, &reqs, lf.as_ref())
            .await
            .expect("read");
        plan::plan(PlanInput {
            desired: d,
            lockfile: lf.as_ref(),
            live: &live,
            mode,
            plan_id: "test-plan",
            adopt_foreign,
        })
    }

    pub async fn run(&self, p: &Plan, parallelism: usize) -> Outcome {
        let lf = self
            .lockfile()
            .unwrap_or_else(|| Lockfile::new(&p.stack, &p.region));
        let (_tx, rx) = tokio::sync::watch::channel(Cancel::Run);
        let opts = ExecOptions {
            parallelism,
            grace: std::time::Duration::from_secs(1),
            lockfile_path: self.lock_path(),
            remote: None,
            secrets: strata_engine::secret::Secrets::default(),
            wait: true,
            expires: None,
        };
        let provider: Arc<dyn Provider> = Arc::new(self.cloud.clone());
        exec::execute(p, provider, lf, &opts, rx, &mut Quiet(Vec::new()))
            .await
            .expect("execute")
    }

    /// [`Env::run`], failing the test unless every action succeeded.
    pub async fn run_ok(&self, p: &Plan, parallelism: usize) -> Outcome {
        let o = self.run(p, parallelism).await;
        assert!(o.success(), "{:?}", o.failed);
        o
    }

    /// Whether the plan of `d` has nothing left to do.
    pub async fn converged(&self, d: &Desired) -> bool {
        !self.plan(d, Mode::Apply).await.expect("plan").has_changes()
    }

    /// Another directory's lockfile on the same cloud (a second `Env` sharing this cloud).
    pub fn sharing_cloud(&self) -> Env {
        Env {
            dir: tempfile::tempdir().expect("tempdir"),
            cloud: self.cloud.clone(),
        }
    }

    /// Loses the lockfile's records and keeps the lockfile (its lineage): as after a crash
    /// between a create call and the record of its result.
    pub fn lose_records(&self) {
        let mut lf = self.lockfile().expect("lockfile");
        lf.resources.clear();
        lockfile::write(&self.lock_path(), &mut lf).expect("write");
    }

    /// Plans and applies; returns the plan.
    pub async fn apply(&self, d: &Desired) -> Plan {
        let p = self.plan(d, Mode::Apply).await.expect("plan");
        let o = self.run(&p, 4).await;
        assert!(o.success(), "apply failed: {:?}", o.failed);
        p
    }
}

pub fn attrs(v: Value) -> Attrs {
    v.as_object().cloned().unwrap_or_default()
}
