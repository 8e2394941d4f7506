//! CPU placement of the server's three roles (our own keys, not Kafka's).
//!
//! Each role is driven by one executor pinned to the CPU (or set of CPUs) its
//! key names. Roles configured on the same CPUs share one executor, which is
//! how the server runs on machines with fewer CPUs than roles. A set lets the
//! kernel move the executor between its CPUs: how several members share a
//! machine with fewer CPUs than members.

use std::fmt;

/// The three roles of the server runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The Raft state machine, timers and the workload.
    Raft,
    /// Socket accept, reads and writes.
    Network,
    /// The segment log: appends, fsyncs, reads of log slices.
    Log,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Raft, Role::Network, Role::Log];

    /// The config key choosing the CPU of this role.
    pub fn cpu_key(self) -> &'static str {
        match self {
            Role::Raft => crate::keys::CPU_RAFT,
            Role::Network => crate::keys::CPU_NETWORK,
            Role::Log => crate::keys::CPU_LOG,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Raft => "raft",
            Role::Network => "network",
            Role::Log => "log",
        })
    }
}

/// The CPUs this process may run on, in ascending order, never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCpus {
    ids: Vec<usize>,
}

/// Upper bound on CPU ids we look at in the affinity mask.
const MAX_CPU_ID: usize = 1024;

impl HostCpus {
    /// The given CPU ids (sorted and deduplicated); `[0]` if empty, since a
    /// running process always has at least one CPU.
    pub fn new(mut ids: Vec<usize>) -> HostCpus {
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            ids.push(0);
        }
        HostCpus { ids }
    }

    /// CPUs `0..count` (for tests and as a fallback).
    pub fn with_count(count: usize) -> HostCpus {
        HostCpus::new((0..count.max(1)).collect())
    }

    /// The CPUs in this process's affinity mask: pinning to any other CPU
    /// fails. Falls back to `0..available_parallelism` if the mask cannot
    /// be read.
    pub fn detect() -> HostCpus {
        if let Some(ids) = affinity_cpus() {
            return HostCpus::new(ids);
        }
        let count = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        HostCpus::with_count(count)
    }

    pub fn ids(&self) -> &[usize] {
        &self.ids
    }

    pub fn contains(&self, cpu: usize) -> bool {
        self.ids.binary_search(&cpu).is_ok()
    }

    /// The default CPU of a role: raft on the first CPU, network on the
    /// second, log on the third, wrapping around so that roles share CPUs
    /// when there are fewer than three (on two CPUs the log shares with the
    /// Raft loop, which hands it every append).
    pub fn default_cpu(&self, role: Role) -> usize {
        let slot = match role {
            Role::Raft => 0,
            Role::Network => 1,
            Role::Log => 2,
        };
        self.ids[slot % self.ids.len()]
    }
}

#[cfg(target_os = "linux")]
fn affinity_cpus() -> Option<Vec<usize>> {
    // SAFETY: cpu_set_t is plain data; zeroed is a valid empty set, and
    // sched_getaffinity writes at most size_of::<cpu_set_t>() bytes into it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: pid 0 is this thread; `set` is valid for `size` bytes.
    let rc = unsafe { libc::sched_getaffinity(0, size, &mut set) };
    if rc != 0 {
        return None;
    }
    let limit = (size * 8).min(MAX_CPU_ID);
    // SAFETY: CPU_ISSET only reads the set, and `cpu` < bits in the set.
    let ids: Vec<usize> = (0..limit)
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect();
    (!ids.is_empty()).then_some(ids)
}

#[cfg(not(target_os = "linux"))]
fn affinity_cpus() -> Option<Vec<usize>> {
    None
}

/// One CPU (`3`: the executor is pinned to it) or a set of CPUs (`0,1`, `0-3,6`: the kernel
/// schedules the executor on any of them). Sorted, without duplicates, never empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CpuSet {
    ids: Vec<usize>,
}

impl CpuSet {
    pub fn one(cpu: usize) -> CpuSet {
        CpuSet { ids: vec![cpu] }
    }

    /// Parses `3`, `0,1`, `0-3,6` (ids and inclusive ranges, comma-separated, spaces allowed).
    pub fn parse(text: &str) -> Result<CpuSet, String> {
        let mut ids = Vec::new();
        for part in text.split(',').map(str::trim) {
            if part.is_empty() {
                return Err("empty entry".into());
            }
            let (first, last) = match part.split_once('-') {
                Some((a, b)) => (parse_cpu(a)?, parse_cpu(b)?),
                None => {
                    let cpu = parse_cpu(part)?;
                    (cpu, cpu)
                }
            };
            if first > last {
                return Err(format!("range `{part}` runs backwards"));
            }
            ids.extend(first..=last);
        }
        ids.sort_unstable();
        ids.dedup();
        debug_assert!(!ids.is_empty());
        Ok(CpuSet { ids })
    }

    pub fn ids(&self) -> &[usize] {
        &self.ids
    }

    /// The CPU, when the set has exactly one.
    pub fn single(&self) -> Option<usize> {
        match self.ids.as_slice() {
            [cpu] => Some(*cpu),
            _ => None,
        }
    }
}

fn parse_cpu(token: &str) -> Result<usize, String> {
    let token = token.trim();
    match token.parse::<usize>() {
        Ok(cpu) if cpu < MAX_CPU_ID => Ok(cpu),
        Ok(_) => Err(format!("CPU `{token}` is beyond {MAX_CPU_ID}")),
        Err(_) => Err(format!("`{token}` is not a CPU id")),
    }
}

impl fmt::Display for CpuSet {
    /// The canonical form: ranges of three or more CPUs as `a-b`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut i = 0;
        while i < self.ids.len() {
            let start = self.ids[i];
            let mut end = start;
            while i + 1 < self.ids.len() && self.ids[i + 1] == end + 1 {
                i += 1;
                end += 1;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            match end - start {
                0 => write!(f, "{start}")?,
                1 => write!(f, "{start},{end}")?,
                _ => write!(f, "{start}-{end}")?,
            }
            i += 1;
        }
        Ok(())
    }
}

/// Which CPUs each role runs on, and whether idle executors spin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub raft_cpus: CpuSet,
    pub network_cpus: CpuSet,
    pub log_cpus: CpuSet,
    /// `kraft.executor.spin`: busy-poll when idle instead of parking. Lowers
    /// latency, burns a CPU per executor.
    pub spin: bool,
}

/// One executor to start: its CPUs and the roles that share it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutorPlan {
    pub cpus: CpuSet,
    pub roles: Vec<Role>,
}

impl Placement {
    /// The CPUs of `role`.
    pub fn cpus(&self, role: Role) -> &CpuSet {
        match role {
            Role::Raft => &self.raft_cpus,
            Role::Network => &self.network_cpus,
            Role::Log => &self.log_cpus,
        }
    }

    /// One executor per distinct CPU set, in order of first use by
    /// [`Role::ALL`] (so the Raft executor comes first), each with its roles.
    pub fn executors(&self) -> Vec<ExecutorPlan> {
        let mut plans: Vec<ExecutorPlan> = Vec::with_capacity(Role::ALL.len());
        for role in Role::ALL {
            let cpus = self.cpus(role);
            match plans.iter_mut().find(|plan| &plan.cpus == cpus) {
                Some(plan) => plan.roles.push(role),
                None => plans.push(ExecutorPlan {
                    cpus: cpus.clone(),
                    roles: vec![role],
                }),
            }
        }
        plans
    }

    /// True when `a` and `b` run on the same executor.
    pub fn shares_executor(&self, a: Role, b: Role) -> bool {
        self.cpus(a) == self.cpus(b)
    }
}
