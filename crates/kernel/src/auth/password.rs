//! Password hashing with Argon2id and the password rules.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, PasswordVerifier};

/// Hashes a password with Argon2id (the crate's defaults: 19 MiB, 2 passes).
pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))
}

/// Checks a password against a stored hash; a malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the time of one verification, so that an unknown account name answers as
/// slowly as a wrong password.
pub fn verify_dummy(password: &str) {
    static DUMMY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash("jinguo-dummy-password").unwrap_or_default());
    let _ = verify(password, &DUMMY);
}

/// [`verify`] off the async threads (Argon2 takes tens of milliseconds); without a stored
/// hash it spends the same time on [`verify_dummy`] and answers false.
pub async fn verify_off_thread(password: &str, stored: Option<String>) -> anyhow::Result<bool> {
    let pw = password.to_string();
    Ok(tokio::task::spawn_blocking(move || match stored {
        Some(h) => verify(&pw, &h),
        None => {
            verify_dummy(&pw);
            false
        }
    })
    .await?)
}

/// [`hash`] off the async threads.
pub async fn hash_off_thread(password: &str) -> anyhow::Result<String> {
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || hash(&pw)).await?
}

/// Checks the password rules; returns the catalogue key of the failure.
pub fn check_policy(password: &str, username: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if n < 8 {
        return Err("auth.password_too_short");
    }
    if n > 128 {
        return Err("auth.password_too_long");
    }
    // MLPS level 3 (等保三级): length, three of four character classes, and no common
    // password (zxcvbn's dictionaries, keyboard walks and repeats; score 2 of 4 at least).
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if classes.iter().filter(|c| **c).count() < 3 {
        return Err("auth.password_weak");
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err("auth.password_contains_username");
    }
    let inputs: Vec<&str> = [username].into_iter().filter(|u| !u.is_empty()).collect();
    if zxcvbn::zxcvbn(password, &inputs).score() < zxcvbn::Score::Two {
        return Err("auth.password_common");
    }
    Ok(())
}

/// A random initial password: 12 characters without look-alikes.
pub fn generate() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    loop {
        let p: String = (0..12)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
            .collect();
        if check_policy(&p, "").is_ok() {
            return p;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_verifies() {
        let h = hash("Secret123").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("Secret123", &h));
        assert!(!verify("secret123", &h));
        assert!(!verify("Secret123", "garbage"));
    }

    #[test]
    fn policy() {
        assert_eq!(check_policy("abc12", "u"), Err("auth.password_too_short"));
        assert_eq!(check_policy("abcdefghij", "u"), Err("auth.password_weak"));
        assert_eq!(check_policy("password1", "u"), Err("auth.password_weak"));
        assert_eq!(check_policy("Password1", "u"), Err("auth.password_common"));
        assert_eq!(check_policy("Qwerty123", "u"), Err("auth.password_common"));
        assert!(check_policy("Jinguo2026", "admin").is_ok());
        assert!(check_policy("Test2026pass", "county").is_ok());
        assert_eq!(
            check_policy("Wanglan2024", "wanglan"),
            Err("auth.password_contains_username")
        );
        assert!(check_policy("Hunan2024x", "wanglan").is_ok());
        assert!(check_policy(&generate(), "").is_ok());
    }
}
