//! A case's attachments (附件): evidence photos, letters, recordings, instruments. Kept in
//! the files directory encrypted with the data key (a stolen disk shows no victim's
//! photo), their type judged by their first bytes and not by the name the browser gives,
//! and served only to those who may read the case, every download audited.

use std::path::PathBuf;

use axum::extract::Multipart;
use axum::response::Response;
use kernel::audit::{self, Entry};
use kernel::auth::roles::Perm;
use kernel::auth::Ctx;
use kernel::db::now_ms;
use kernel::error::{AppError, AppResult, FieldError};
use kernel::state::AppState;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::model::State;
use crate::service::readable_case;
use crate::store;

/// The largest file accepted: a scanned letter or a phone's recording of a call.
pub const MAX_BYTES: usize = 20 * 1024 * 1024;
/// The largest upload body: the file and room for the form around it.
pub const UPLOAD_LIMIT: usize = MAX_BYTES + 64 * 1024;

/// What may be attached, by the type its bytes show: documents, photos (a phone's HEIC
/// too), and the recordings a phone or a hotline makes.
const ACCEPTED: [&str; 16] = [
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heif",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "audio/mpeg",
    "audio/x-wav",
    "audio/m4a",
    "audio/amr",
    "video/mp4",
    "application/vnd.ms-powerpoint",
];

/// One attachment as listed on the case.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Attachment {
    pub id: i64,
    pub case_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    /// SHA-256 of the file as uploaded, in hex
    pub sha256: String,
    pub note: String,
    pub uploaded_by: String,
    pub created_at: i64,
}

/// A file as received, before it is checked.
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub note: String,
}

/// Reads the multipart form (`file`, optional `note`); a body over the limit is the
/// file's error, a body that is no multipart form a bad request.
pub async fn receive(mut form: Multipart) -> Result<Upload, AppError> {
    let refuse = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::Invalid(vec![FieldError::new("file", "attachment.too_large")])
        } else {
            AppError::BadRequest("err.bad_multipart")
        }
    };
    let mut up = Upload {
        file_name: String::new(),
        bytes: Vec::new(),
        note: String::new(),
    };
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(refuse(e)),
        };
        match field.name() {
            Some("file") => {
                up.file_name = field.file_name().unwrap_or_default().to_string();
                up.bytes = field.bytes().await.map_err(refuse)?.to_vec();
            }
            Some("note") => up.note = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    Ok(up)
}

/// The file's name as shown and offered for download: no directories, no control
/// characters, at most 120 characters, and the extension of the type its bytes are (a
/// GIF named `poly.html` is kept as `poly.gif`), so no program opens it as something else.
fn clean_name(name: &str, ext: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let base: String = kernel::text::clean_text(base)
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    let stem = match base.trim().rsplit_once('.') {
        Some((stem, _)) => stem.trim(),
        None => base.trim(),
    };
    if stem.is_empty() {
        format!("file.{ext}")
    } else {
        format!("{stem}.{ext}")
    }
}

/// The type of the bytes, when it is one that may be attached.
fn kind_of(bytes: &[u8]) -> Option<infer::Type> {
    infer::get(bytes).filter(|t| ACCEPTED.contains(&t.mime_type()))
}

fn dir_of(state: &AppState, case_id: i64) -> PathBuf {
    state
        .settings()
        .files_dir()
        .join("cases")
        .join(case_id.to_string())
}

/// Attaches a file to a case the account may read and handle. The file is written (to a
/// temporary name, then renamed) before its row, and removed again if the row is not
/// written: never a row without its file.
pub async fn attach(state: &AppState, ctx: &Ctx, id: i64, up: Upload) -> AppResult<Attachment> {
    ctx.require(Perm::HandleCases)?;
    let c = readable_case(state, ctx, id).await?;
    let mut errs = Vec::new();
    if c.t.state == State::Archived {
        errs.push(FieldError::new("file", "attachment.archived"));
    }
    let kind = if up.bytes.is_empty() {
        errs.push(FieldError::new("file", "attachment.no_file"));
        None
    } else if up.bytes.len() > MAX_BYTES {
        errs.push(FieldError::new("file", "attachment.too_large"));
        None
    } else {
        let k = kind_of(&up.bytes);
        if k.is_none() {
            errs.push(FieldError::new("file", "attachment.type_invalid"));
        }
        k
    };
    let note = kernel::text::clean_text(&up.note);
    if note.chars().count() > 500 {
        errs.push(FieldError::new("note", "field.too_long"));
    }
    let (Some(kind), true) = (kind, errs.is_empty()) else {
        return Err(AppError::Invalid(errs));
    };
    let file_name = clean_name(&up.file_name, kind.extension());
    let sha = hex::encode(Sha256::digest(&up.bytes));
    let dir = dir_of(state, id);
    let stored = format!("{}.bin", &kernel::auth::session::new_token()[..24]);
    let sealed = state.cipher.seal(&up.bytes);
    let path = dir.join(&stored);
    let part = dir.join(format!("{stored}.part"));
    let written = async {
        tokio::fs::create_dir_all(&dir).await?;
        tokio::fs::write(&part, &sealed).await?;
        tokio::fs::rename(&part, &path).await
    }
    .await;
    if let Err(e) = written {
        let _ = tokio::fs::remove_file(&part).await;
        return Err(AppError::Internal(anyhow::anyhow!(
            "attachment {}: {e}",
            path.display()
        )));
    }
    let now = now_ms();
    let saved = async {
        let mut tx = kernel::audit::begin(state.db()).await?;
        let aid: i64 = sqlx::query_scalar(
            "INSERT INTO case_attachments (case_id, file_name, content_type, size, stored_name, \
             sha256, note, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING id",
        )
        .bind(id)
        .bind(&file_name)
        .bind(kind.mime_type())
        .bind(up.bytes.len() as i64)
        .bind(&stored)
        .bind(&sha)
        .bind(&note)
        .bind(ctx.p.user_id)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        store::add_event(
            &mut tx,
            &state.cipher,
            id,
            "attach",
            &kernel::time::today().to_string(),
            &note,
            &serde_json::json!({"attachment": aid, "file_name": file_name}),
            &ctx.actor(),
        )
        .await?;
        audit::append(
            &mut tx,
            Entry::new(
                &ctx.actor(),
                "case.attach",
                &c.t.unit_code,
                &format!("case:{id}"),
            )
            .detail(
                serde_json::json!({"attachment": aid, "type": kind.mime_type(),
                "size": up.bytes.len(), "sha256": sha}),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok::<i64, AppError>(aid)
    }
    .await;
    match saved {
        Ok(aid) => get(state, id, aid).await,
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            Err(e)
        }
    }
}

const COLUMNS: &str = "a.id, a.case_id, a.file_name, a.content_type, a.size, a.sha256, a.note, \
    COALESCE(u.display_name, ''), a.created_at, a.stored_name";

fn attachment(r: &sqlx::any::AnyRow) -> Attachment {
    Attachment {
        id: r.get(0),
        case_id: r.get(1),
        file_name: r.get(2),
        content_type: r.get(3),
        size: r.get(4),
        sha256: r.get(5),
        note: r.get(6),
        uploaded_by: r.get(7),
        created_at: r.get(8),
    }
}

/// The attachments of a case, newest first (the caller has checked that it may read it).
pub async fn list(state: &AppState, case_id: i64) -> AppResult<Vec<Attachment>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM case_attachments a LEFT JOIN users u ON u.id = a.uploaded_by \
         WHERE a.case_id = $1 ORDER BY a.id DESC"
    ))
    .bind(case_id)
    .fetch_all(state.db().pool())
    .await?;
    Ok(rows.iter().map(attachment).collect())
}

async fn row(state: &AppState, case_id: i64, aid: i64) -> AppResult<sqlx::any::AnyRow> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM case_attachments a LEFT JOIN users u ON u.id = a.uploaded_by \
         WHERE a.case_id = $1 AND a.id = $2"
    ))
    .bind(case_id)
    .bind(aid)
    .fetch_optional(state.db().pool())
    .await?
    .ok_or(AppError::NotFound)
}

async fn get(state: &AppState, case_id: i64, aid: i64) -> AppResult<Attachment> {
    Ok(attachment(&row(state, case_id, aid).await?))
}

/// The file, to one who may read the case: decrypted, checked against its hash, offered
/// as a download under its own name. Every download is audited.
pub async fn download(state: &AppState, ctx: &Ctx, id: i64, aid: i64) -> AppResult<Response> {
    let c = readable_case(state, ctx, id).await?;
    let r = row(state, id, aid).await?;
    let a = attachment(&r);
    let stored: String = r.get(9);
    let path = dir_of(state, id).join(&stored);
    let sealed = tokio::fs::read(&path)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("attachment {}: {e}", path.display())))?;
    let bytes = state
        .cipher
        .open(&sealed)
        .filter(|b| hex::encode(Sha256::digest(b)) == a.sha256)
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "attachment {} does not open with the data key or was altered",
                path.display()
            ))
        })?;
    let mut tx = kernel::audit::begin(state.db()).await?;
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "case.attachment_view",
            &c.t.unit_code,
            &format!("case:{id}"),
        )
        .detail(serde_json::json!({"attachment": aid, "restricted": c.t.restricted})),
    )
    .await?;
    tx.commit().await?;
    Ok(kernel::web::download::file(
        bytes,
        &a.content_type,
        &a.file_name,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(
            kind_of(b"%PDF-1.7\n%\xe2\xe3").map(|t| t.mime_type()),
            Some("application/pdf")
        );
        assert_eq!(
            kind_of(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").map(|t| t.mime_type()),
            Some("image/png")
        );
        // A program renamed .pdf is refused; so is plain text.
        assert!(kind_of(b"MZ\x90\0\x03\0\0\0\x04\0\0\0").is_none());
        assert!(kind_of("投诉材料".as_bytes()).is_none());
    }

    #[test]
    fn names_lose_their_directories() {
        assert_eq!(clean_name("C:\\证据\\照片 1.jpg", "jpg"), "照片 1.jpg");
        assert_eq!(clean_name("../../etc/passwd", "pdf"), "passwd.pdf");
        assert_eq!(clean_name("", "pdf"), "file.pdf");
        assert_eq!(clean_name("poly.html", "gif"), "poly.gif");
        assert_eq!(clean_name("告诫书.PDF", "pdf"), "告诫书.pdf");
        assert_eq!(clean_name(".html", "png"), "file.png");
    }
}
