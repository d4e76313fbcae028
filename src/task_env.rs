//! Per-task environment from an agent's profile (`task_env` in agents/NAME.json): variables
//! whose values may name `{task_tmp}`, a private directory the host makes for each task (0700,
//! beside the state directory, never in /tmp and never inside the state directory, so nothing
//! in the agent's environment points there). Data, not code: no agent is named here.
use crate::error::{CoreError, CoreResult};
use crate::model::AgentKind;
use crate::plan::EnvVar;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The one placeholder a `task_env` value may hold.
pub const TASK_TMP: &str = "{task_tmp}";
const MAX_VALUE: usize = 1024;

/// A task's variables with their placeholders filled, and whether the host must make the
/// task's private temporary directory before the agent runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct TaskEnv {
    pub env: Vec<EnvVar>,
    pub needs_task_tmp: bool,
}

/// Checks a profile's `task_env` (the key and why, on a bad entry).
pub fn check(map: &BTreeMap<String, String>) -> Result<(), (String, String)> {
    if map.len() > 64 {
        return Err(("".into(), "at most 64 variables".into()));
    }
    for (k, v) in map {
        let name_ok = !k.is_empty()
            && k.len() <= 128
            && k.bytes().next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
            && k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_');
        if !name_ok {
            return Err((k.clone(), "expected a variable name ([A-Za-z_][A-Za-z0-9_]*)".into()));
        }
        if v.len() > MAX_VALUE || v.contains('\0') || v.contains('\n') {
            return Err((k.clone(), "expected a one-line value".into()));
        }
        if v.replace(TASK_TMP, "").contains('{') {
            return Err((k.clone(), format!("the only placeholder a value may hold is {TASK_TMP}")));
        }
    }
    Ok(())
}

/// The profile's `task_env` for one task, `{task_tmp}` replaced by `task_tmp` (an absolute
/// path the host chose; `invalid_input` otherwise).
pub fn task_env(agent: AgentKind, task_tmp: &str) -> CoreResult<TaskEnv> {
    if !task_tmp.starts_with('/') || task_tmp.contains('\0') || task_tmp.contains('\n') || task_tmp.len() > 4096 {
        return Err(CoreError::InvalidInput("taskTmp must be an absolute path on one line".into()));
    }
    let map = &crate::profiles::profile(agent).data.task_env;
    let needs_task_tmp = map.values().any(|v| v.contains(TASK_TMP));
    let env = map.iter().map(|(k, v)| EnvVar { name: k.clone(), value: v.replace(TASK_TMP, task_tmp) }).collect();
    Ok(TaskEnv { env, needs_task_tmp })
}
