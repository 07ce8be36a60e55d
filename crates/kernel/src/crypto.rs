//! Sensitive fields at rest: AES-256-GCM encryption and a keyed hash (HMAC-SHA256) for
//! exact lookup and duplicate checks (a blind index), both from one master key.
//!
//! The key comes from `JINGUO_DATA_KEY` (64 hex digits) or from `secret.key` in the data
//! directory, created on first start with mode 0600. Losing it loses the encrypted fields:
//! back it up apart from the database.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::Context;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// Encrypts, decrypts and hashes sensitive values.
#[derive(Clone)]
pub struct Cipher {
    aead: Aes256Gcm,
    index_key: [u8; 32],
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(***)")
    }
}

fn derive(master: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("any key length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

impl Cipher {
    pub fn new(master: &[u8; 32]) -> Cipher {
        let enc = derive(master, "jinguo/encrypt/v1");
        Cipher {
            aead: Aes256Gcm::new(&enc.into()),
            index_key: derive(master, "jinguo/blind-index/v1"),
        }
    }

    /// The key from `JINGUO_DATA_KEY`, else `secret.key` in `dir` (created if missing).
    pub fn load(dir: &Path) -> anyhow::Result<Cipher> {
        if let Ok(hex_key) = std::env::var("JINGUO_DATA_KEY") {
            return Self::from_hex(hex_key.trim()).context("JINGUO_DATA_KEY 应为 64 位十六进制数");
        }
        let path = dir.join("secret.key");
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("无法读取密钥文件 {}", path.display()))?;
            return Self::from_hex(text.trim())
                .with_context(|| format!("密钥文件 {} 已损坏", path.display()));
        }
        std::fs::create_dir_all(dir)
            .with_context(|| format!("无法创建数据目录 {}", dir.display()))?;
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        write_private(&path, hex::encode(key).as_bytes())
            .with_context(|| format!("无法写入密钥文件 {}", path.display()))?;
        tracing::warn!(path = %path.display(), "created a new data key: back it up apart from the database");
        Ok(Cipher::new(&key))
    }

    pub fn from_hex(s: &str) -> anyhow::Result<Cipher> {
        let bytes = hex::decode(s)?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("key must be 32 bytes"))?;
        Ok(Cipher::new(&key))
    }

    /// `nonce || ciphertext`, base64.
    pub fn encrypt(&self, plain: &str) -> String {
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(self.seal(plain.as_bytes()))
    }

    /// The plain text, or `None` if the value was not made with this key.
    pub fn decrypt(&self, stored: &str) -> Option<String> {
        let raw = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(stored)
            .ok()?;
        String::from_utf8(self.open(&raw)?).ok()
    }

    /// Bytes (a file) encrypted: `nonce || ciphertext`.
    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = self
            .aead
            .encrypt(Nonce::from_slice(&nonce), plain)
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(ct);
        out
    }

    /// The bytes [`Cipher::seal`] was given, or `None` if `sealed` was not made with this
    /// key or was altered.
    pub fn open(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < 12 {
            return None;
        }
        let (nonce, ct) = sealed.split_at(12);
        self.aead.decrypt(Nonce::from_slice(nonce), ct).ok()
    }

    /// The blind index of a value: equal values give equal hashes, nothing else is learnt.
    /// The first 128 bits of the HMAC, in hex: ample against collisions among the
    /// residents of a country, and half the width of the indexes built on it.
    pub fn index(&self, kind: &str, value: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key).expect("any key length");
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_index() {
        let c = Cipher::new(&[7u8; 32]);
        let e1 = c.encrypt("11010519491231002X");
        let e2 = c.encrypt("11010519491231002X");
        assert_ne!(e1, e2, "random nonce");
        assert_eq!(c.decrypt(&e1).as_deref(), Some("11010519491231002X"));
        assert_eq!(c.index("id", "x"), c.index("id", "x"));
        assert_ne!(c.index("id", "x"), c.index("phone", "x"));
        let other = Cipher::new(&[8u8; 32]);
        assert_eq!(other.decrypt(&e1), None);
        assert_ne!(other.index("id", "x"), c.index("id", "x"));
    }

    #[test]
    fn key_file_is_created_once() {
        let dir = std::env::temp_dir().join(format!("jinguo-key-{}", rand::random::<u64>()));
        let a = Cipher::load(&dir).unwrap();
        let b = Cipher::load(&dir).unwrap();
        assert_eq!(b.decrypt(&a.encrypt("x")).as_deref(), Some("x"));
        std::fs::write(dir.join("secret.key"), "zz").unwrap();
        assert!(Cipher::load(&dir).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
