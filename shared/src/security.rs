//! Password hashing, random secrets and keyed hashes. Nothing here does I/O.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

type HmacSha256 = Hmac<Sha256>;

/// argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): memory-hard, and
/// still fast enough for a 256 MB Lambda to answer a login in well under a second.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 params");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing cannot fail with valid params")
        .to_string()
}

pub fn verify_password(password: &str, encoded_hash: &str) -> bool {
    match PasswordHash::new(encoded_hash) {
        Ok(hash) => argon2().verify_password(password.as_bytes(), &hash).is_ok(),
        Err(_) => false,
    }
}

/// Verifying against this when the email is unknown makes both failures take as long,
/// so response time does not reveal which addresses have accounts.
pub fn verify_against_decoy(password: &str) {
    static DECOY: LazyLock<String> = LazyLock::new(|| hash_password("decoy password for timing"));
    let _ = verify_password(password, &DECOY);
}

/// 256 bits of OS randomness, URL-safe: for refresh and confirmation tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens are stored only as this digest, so a leaked table does not leak live tokens.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("hmac takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Constant-time check of an HMAC tag.
pub fn hmac_sha256_verify(key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    let mut mac = HmacSha256::new_from_slice(key).expect("hmac takes any key length");
    mac.update(message);
    mac.verify_slice(tag).is_ok()
}

/// A hash that never changes between builds or processes (unlike `DefaultHasher`), for shard
/// numbers and deterministic ids that are stored.
pub fn stable_hash(text: &str) -> u64 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(text.as_bytes());
    u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse battery");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("correct horse battery", "not a hash"));
    }

    #[test]
    fn tokens_are_unique_and_digests_stable() {
        let a = random_token();
        assert_ne!(a, random_token());
        assert_eq!(token_digest(&a), token_digest(&a));
        assert_eq!(token_digest(&a).len(), 64);
    }

    #[test]
    fn hmac_verification_rejects_other_keys_and_messages() {
        let tag = hmac_sha256(b"k1", b"m");
        assert!(hmac_sha256_verify(b"k1", b"m", &tag));
        assert!(!hmac_sha256_verify(b"k2", b"m", &tag));
        assert!(!hmac_sha256_verify(b"k1", b"n", &tag));
    }
}
