//! `jinguo`: the one binary. Serves the pages, the API and the jobs; creates the demo;
//! migrates; imports the org tree; manages accounts; verifies the audit chain; benchmarks.

mod bench;
mod bench_cases;
mod bench_registry;
mod cli;
mod demo;
mod serve;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc for Rust and, through its override of `malloc`, for the bundled SQLite too:
/// under a bulk import glibc's allocator spent a third of the database thread's time
/// walking its free lists.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's option `purge_delay` (its number in `mimalloc.h`; the crate leaves it out).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Memory freed goes back to the system a minute later instead of a second: a bulk import
/// frees and takes back hundreds of MB a second, and took them back from the kernel zeroed
/// each time (40,000 page faults, a tenth of its CPU, against 400 with a minute).
fn keep_freed_memory_a_minute() {
    // SAFETY: sets a plain integer option before any other thread exists.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 60_000) };
}

fn main() -> ExitCode {
    keep_freed_memory_a_minute();
    let cli = cli::Cli::parse();
    cli::init_logging(&cli.global);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("错误: 无法启动运行时: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn purge_delay_is_the_option_set() {
        // Its default (a second, in mimalloc 3) says the number names `purge_delay`.
        let get = || unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(get(), 1_000);
        super::keep_freed_memory_a_minute();
        assert_eq!(get(), 60_000);
    }
}
