//! Per-address throttling of failed logins, in memory: a burst of guesses from one place
//! is slowed before any single account's lockout is reached.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(600);
const MAX_FAILURES: u32 = 30;

#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Throttle {
    /// Whether `ip` may try to log in now.
    pub fn allowed(&self, ip: &str) -> bool {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(ip) {
            Some((n, since)) => *n < MAX_FAILURES || since.elapsed() > WINDOW,
            None => true,
        }
    }

    pub fn failed(&self, ip: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (_, since)| since.elapsed() <= WINDOW);
        }
        let entry = map.entry(ip.to_string()).or_insert((0, Instant::now()));
        if entry.1.elapsed() > WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    pub fn succeeded(&self, ip: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_many_failures() {
        let t = Throttle::default();
        for _ in 0..MAX_FAILURES {
            assert!(t.allowed("1.2.3.4"));
            t.failed("1.2.3.4");
        }
        assert!(!t.allowed("1.2.3.4"));
        assert!(t.allowed("5.6.7.8"));
        t.succeeded("1.2.3.4");
        assert!(t.allowed("1.2.3.4"));
    }
}
