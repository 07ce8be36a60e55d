//! Group commit for SQLite's single writer.
//!
//! A small write (a case taken in) is a handful of one-row statements, and on SQLite each
//! one is a hop to the connection's thread and back: two thread switches, which on this
//! kind of virtual machine cost more than the statement. Per-write transactions added a
//! `BEGIN` and a `COMMIT` hop to each, and savepoints would add one more. So the works
//! submitted through [`super::Db::write`] run on a thread of their own, one after the
//! other in one transaction with nothing between them, and are committed together; a
//! caller hears of her result only after that commit.
//!
//! When a work fails, its partial writes cannot be undone alone: the transaction is rolled
//! back, the failed work's caller gets its error, and the works that had run before it in
//! that transaction run again, first, in the next one. Each rollback removes one work for
//! good, so every work ends.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot, Mutex};

use super::{Backend, WriteTx};

/// The most works one transaction carries: bounds the wait of the first of them.
const MAX_BATCH: usize = 64;

/// A submitted work with the way back to its caller.
trait Job: Send {
    /// Runs the work once more in `tx`; tells whether it succeeded.
    fn attempt<'a>(&'a mut self, tx: &'a mut WriteTx) -> BoxFuture<'a, bool>;
    /// Tells the caller: her own result if its transaction committed, else why not.
    fn deliver(self: Box<Self>, commit: Result<(), &sqlx::Error>);
}

struct Work<F, T, E> {
    work: F,
    result: Option<Result<T, E>>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<F, T, E> Job for Work<F, T, E>
where
    F: for<'a> FnOnce(&'a mut WriteTx) -> BoxFuture<'a, Result<T, E>> + Clone + Send + 'static,
    T: Send + 'static,
    E: From<sqlx::Error> + Send + 'static,
{
    fn attempt<'a>(&'a mut self, tx: &'a mut WriteTx) -> BoxFuture<'a, bool> {
        let work = self.work.clone();
        async move {
            let result = unwound(work(tx)).await;
            let ok = result.is_ok();
            self.result = Some(result);
            ok
        }
        .boxed()
    }

    fn deliver(self: Box<Self>, commit: Result<(), &sqlx::Error>) {
        let result = match (commit, self.result) {
            (_, Some(Err(e))) => Err(e),
            (Ok(()), Some(r)) => r,
            (Err(e), _) => Err(failed(e)),
            (Ok(()), None) => Err(E::from(sqlx::Error::WorkerCrashed)),
        };
        let _ = self.reply.send(result);
    }
}

/// A work that panics fails like one that returns an error (and does not end the writer
/// thread).
pub(super) async fn unwound<T, E: From<sqlx::Error>>(
    work: BoxFuture<'_, Result<T, E>>,
) -> Result<T, E> {
    AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .unwrap_or_else(|_| Err(E::from(sqlx::Error::WorkerCrashed)))
}

/// sqlx errors are not `Clone`: each caller of a failed transaction gets one that says
/// the same.
fn failed<E: From<sqlx::Error>>(e: &sqlx::Error) -> E {
    E::from(sqlx::Error::Protocol(format!("写入未能提交: {e}")))
}

/// The submitting side; the writer thread ends when the last handle is dropped.
#[derive(Clone)]
pub(super) struct Combiner {
    jobs: mpsc::UnboundedSender<Box<dyn Job>>,
}

impl Combiner {
    pub(super) fn start(writer: AnyPool, lock: Arc<Mutex<()>>) -> std::io::Result<Combiner> {
        let (jobs, rx) = mpsc::unbounded_channel();
        // No I/O driver: the thread only waits for the connection's thread and for jobs,
        // and parking on a futex is cheaper than on epoll.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()?;
        std::thread::Builder::new()
            .name("jinguo-writer".into())
            .spawn(move || runtime.block_on(run(rx, writer, lock)))?;
        Ok(Combiner { jobs })
    }

    pub(super) async fn submit<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: for<'a> FnOnce(&'a mut WriteTx) -> BoxFuture<'a, Result<T, E>> + Clone + Send + 'static,
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Work {
            work,
            result: None,
            reply,
        });
        if self.jobs.send(job).is_err() {
            return Err(E::from(sqlx::Error::PoolClosed));
        }
        answer
            .await
            .unwrap_or(Err(E::from(sqlx::Error::PoolClosed)))
    }
}

async fn run(mut rx: mpsc::UnboundedReceiver<Box<dyn Job>>, writer: AnyPool, lock: Arc<Mutex<()>>) {
    // Works to run again (their transaction was rolled back for another's failure).
    let mut again: VecDeque<Box<dyn Job>> = VecDeque::new();
    loop {
        if again.is_empty() {
            match rx.recv().await {
                Some(job) => again.push_back(job),
                None => return,
            }
        }
        let guard = lock.lock().await;
        let mut tx = match writer.begin_with("BEGIN IMMEDIATE").await {
            Ok(tx) => WriteTx::new(tx, Backend::Sqlite, None),
            Err(e) => {
                drop(guard);
                for job in again.drain(..) {
                    job.deliver(Err(&e));
                }
                continue;
            }
        };
        let mut ran: Vec<Box<dyn Job>> = Vec::new();
        let mut failed_job = None;
        while ran.len() < MAX_BATCH {
            let Some(mut job) = again.pop_front().or_else(|| rx.try_recv().ok()) else {
                break;
            };
            if job.attempt(&mut tx).await {
                ran.push(job);
            } else {
                failed_job = Some(job);
                break;
            }
        }
        match failed_job {
            None => {
                let commit = tx.commit().await;
                drop(guard);
                for job in ran {
                    job.deliver(commit.as_ref().map(|_| ()));
                }
            }
            Some(job) => {
                if let Err(e) = tx.tx.rollback().await {
                    tracing::error!(error = %e, "rolling back a write transaction failed");
                }
                drop(guard);
                job.deliver(Ok(()));
                for job in ran.into_iter().rev() {
                    again.push_front(job);
                }
            }
        }
    }
}
