//! `jinguo serve`: binds, serves until Ctrl-C or SIGTERM, then drains.

use std::net::SocketAddr;

use anyhow::Context;
use kernel::{Db, Settings};

pub async fn serve(db: Db, settings: Settings, listen: &str) -> anyhow::Result<()> {
    let addr: SocketAddr = listen
        .parse()
        .with_context(|| format!("监听地址无效: {listen}（例如 127.0.0.1:8080）"))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("无法监听 {addr}"))?;
    let state = jinguo::state(db.clone(), settings)?;
    for c in jinguo::CAPABILITIES {
        (c.start)(&state);
    }
    let app = jinguo::app(state);
    println!("巾帼已启动: http://{addr}/  (Ctrl-C 停止)");
    tracing::info!(%addr, backend = ?db.backend(), "serving");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await
    .context("服务异常退出")?;
    db.close().await;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
