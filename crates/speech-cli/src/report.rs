//! Findings of `speech doctor`: each says ok, warning or problem, what was found, and the fix.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::exit::Code;

/// How bad a finding is. Ordered: `Ok < Warning < Problem`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    /// As it should be.
    Ok,
    /// Works, but worth knowing or likely to cause trouble.
    Warning,
    /// Will fail; the exit code it maps to.
    Problem(Code),
}

impl Level {
    fn label(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warning => "warning",
            Level::Problem(_) => "problem",
        }
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Finding {
    /// Which check: `config`, `key`, `token`, `audio`.
    pub(crate) check: &'static str,
    /// How bad.
    pub(crate) level: Level,
    /// What was found (no secret).
    pub(crate) message: String,
    /// The concrete fix, when there is something to do.
    pub(crate) fix: Option<String>,
}

impl Finding {
    /// A finding without a fix.
    pub(crate) fn new(check: &'static str, level: Level, message: impl Into<String>) -> Self {
        Finding {
            check,
            level,
            message: message.into(),
            fix: None,
        }
    }

    /// Add the fix.
    pub(crate) fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    fn to_json(&self) -> Value {
        json!({
            "check": self.check,
            "level": self.level.label(),
            "message": self.message,
            "fix": self.fix,
            "exit_code": match self.level { Level::Problem(c) => c as u8, _ => 0 },
        })
    }
}

/// The exit code for a list of findings: 0 without problems; otherwise the code of the most fundamental
/// problem, i.e. the first one in check order (configuration, key, token, audio), since later checks depend
/// on earlier ones.
pub(crate) fn exit_code(findings: &[Finding]) -> Option<Code> {
    findings.iter().find_map(|f| match f.level {
        Level::Problem(c) => Some(c),
        _ => None,
    })
}

/// The text report: one line per finding (`ok`, `warning`, `PROBLEM`), the fix indented below.
pub(crate) fn text(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let label = match f.level {
            Level::Ok => "ok",
            Level::Warning => "warning",
            Level::Problem(_) => "PROBLEM",
        };
        let _ = writeln!(out, "{label:<8} {:<7} {}", f.check, f.message);
        if let Some(fix) = &f.fix {
            let _ = writeln!(out, "{:<16} fix: {fix}", "");
        }
    }
    let problems = findings
        .iter()
        .filter(|f| matches!(f.level, Level::Problem(_)))
        .count();
    let warnings = findings
        .iter()
        .filter(|f| f.level == Level::Warning)
        .count();
    let _ = writeln!(
        out,
        "{} problem{}, {} warning{}",
        problems,
        if problems == 1 { "" } else { "s" },
        warnings,
        if warnings == 1 { "" } else { "s" }
    );
    out
}

/// The JSON report: `{"findings": [...], "exit_code": n}`.
pub(crate) fn json(findings: &[Finding]) -> Value {
    json!({
        "findings": findings.iter().map(Finding::to_json).collect::<Vec<_>>(),
        "exit_code": exit_code(findings).map_or(0, |c| c as u8),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_problem_decides_the_exit_code() {
        let f = vec![
            Finding::new("config", Level::Ok, "fine"),
            Finding::new("key", Level::Warning, "hmm"),
            Finding::new("token", Level::Problem(Code::Auth), "401").with_fix("new key"),
            Finding::new("audio", Level::Problem(Code::Input), "44.1 kHz"),
        ];
        assert_eq!(exit_code(&f), Some(Code::Auth));
        assert_eq!(exit_code(&f[..2]), None);
        let t = text(&f);
        assert!(t.contains("PROBLEM  token   401\n"), "{t}");
        assert!(t.contains("fix: new key"), "{t}");
        assert!(t.ends_with("2 problems, 1 warning\n"), "{t}");
        let j = json(&f);
        assert_eq!(j["exit_code"], 3);
        assert_eq!(j["findings"][3]["exit_code"], 4);
        assert_eq!(j["findings"][1]["level"], "warning");
    }

    #[test]
    fn levels_order() {
        assert!(Level::Ok < Level::Warning);
        assert!(Level::Warning < Level::Problem(Code::Usage));
    }
}
