//! `jinguo`: the one binary. Serves the pages, the API and the jobs; creates the demo;
//! migrates; imports the org tree; manages accounts; verifies the audit chain; benchmarks.

mod bench;
mod bench_cases;
mod bench_registry;
mod cli;
mod demo;
mod serve;

use std::process::ExitCode;

/// mimalloc for Rust and, through its override of `malloc`, for the bundled SQLite too:
/// under a bulk import glibc's allocator spent a third of the database thread's time
/// walking its free lists.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

fn main() -> ExitCode {
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
