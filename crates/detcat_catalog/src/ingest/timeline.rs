//! When each step of a build ended, counted from the build's start, on whichever thread ran
//! it: the analysis, the main, side and search writers (`build --json`: `timings.timeline`).
//!
//! The writers' busy times ([`super::Timings::writer`]) say how long each part took, not
//! which thread waited for which: on two cores the build's wall time is set by its critical
//! path — the main writer's last steps, and what they wait for — which only the order and
//! times of the steps show (issue 19, docs/benchmarks.md).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// One step's end: `at_ms` after the build started (0.1 ms precision).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineMark {
    pub at_ms: f64,
    /// `thread: step`, e.g. `main writer: triples copied`.
    pub step: String,
}

/// The steps' ends, recorded from any thread of the build.
pub struct Timeline {
    start: Instant,
    marks: Mutex<Vec<(Duration, &'static str)>>,
}

impl Timeline {
    pub fn start() -> Timeline {
        Timeline {
            start: Instant::now(),
            marks: Mutex::new(Vec::with_capacity(32)),
        }
    }

    /// Records that `step` ended now.
    pub fn mark(&self, step: &'static str) {
        let at = self.start.elapsed();
        // A poisoned lock means a thread panicked while pushing: the build fails anyway,
        // and a timeline is no reason to panic again.
        if let Ok(mut marks) = self.marks.lock() {
            marks.push((at, step));
        }
    }

    /// Every step so far, in the order they ended.
    pub fn marks(&self) -> Vec<TimelineMark> {
        let mut marks = match self.marks.lock() {
            Ok(marks) => marks.clone(),
            Err(_) => Vec::new(),
        };
        marks.sort_by_key(|(at, _)| *at);
        marks
            .into_iter()
            .map(|(at, step)| TimelineMark {
                at_ms: (at.as_secs_f64() * 10_000.0).round() / 10.0,
                step: step.to_owned(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_from_several_threads_come_back_in_time_order() {
        let timeline = Timeline::start();
        timeline.mark("analysis: parsed");
        std::thread::scope(|scope| {
            scope.spawn(|| {
                std::thread::sleep(Duration::from_millis(2));
                timeline.mark("side writer: triples stored");
            });
        });
        timeline.mark("main writer: committed");
        let marks = timeline.marks();
        let steps: Vec<&str> = marks.iter().map(|m| m.step.as_str()).collect();
        assert_eq!(
            steps,
            [
                "analysis: parsed",
                "side writer: triples stored",
                "main writer: committed"
            ]
        );
        assert!(marks.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
        assert!(marks[1].at_ms >= 2.0, "{marks:?}");
    }
}
