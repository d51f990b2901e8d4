//! Bearer-token authentication: an extractor per permission, so each handler's signature says
//! who may call it. A missing or unknown token is 401; a known token of the wrong role is 403.
//! The extractor runs before the body is read, so an unauthenticated client cannot make the
//! server buffer a large body.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::{AppState, Failure};
use crate::ledger::model::Role;
use crate::ledger::store::Store;
use crate::ledger::token;

/// Which roles may use a route.
pub trait Permission: Send + Sync + 'static {
    const ALLOWED: &'static [Role];
    const WHAT: &'static str;
}

/// Post runs and corrections.
pub struct Report;
impl Permission for Report {
    const ALLOWED: &'static [Role] = &[Role::Reporter, Role::Admin];
    const WHAT: &'static str = "write to the ledger (roles reporter, admin)";
}

/// Read runs, corrections and stats.
pub struct Read;
impl Permission for Read {
    const ALLOWED: &'static [Role] = &[Role::Reader, Role::Architect, Role::Admin];
    const WHAT: &'static str = "read the ledger (roles reader, architect, admin)";
}

/// Manage tokens.
pub struct Administer;
impl Permission for Administer {
    const ALLOWED: &'static [Role] = &[Role::Admin];
    const WHAT: &'static str = "manage tokens (role admin)";
}

/// Any valid token (the API description).
pub struct AnyRole;
impl Permission for AnyRole {
    const ALLOWED: &'static [Role] = &Role::ALL;
    const WHAT: &'static str = "use the ledger";
}

/// The caller's role, checked against `P`.
pub struct Authed<P: Permission> {
    pub role: Role,
    _permission: PhantomData<P>,
}

impl<S: Store, P: Permission> FromRequestParts<AppState<S>> for Authed<P> {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState<S>) -> Result<Self, Failure> {
        let presented = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let Some(presented) = presented else {
            return Err(Failure::new(
                StatusCode::UNAUTHORIZED,
                "missing bearer token: send `Authorization: Bearer <token>` (create one with `aigate ledger token create`)",
            ));
        };
        let role = state
            .store
            .token_role(&token::hash(presented))
            .await
            .map_err(Failure::from)?;
        let Some(role) = role else {
            return Err(Failure::new(
                StatusCode::UNAUTHORIZED,
                "unknown bearer token: check AIGATE_LEDGER_TOKEN",
            ));
        };
        if !P::ALLOWED.contains(&role) {
            return Err(Failure::new(
                StatusCode::FORBIDDEN,
                format!(
                    "a {role} token may not {}: ask an admin for a token with the right role",
                    P::WHAT
                ),
            ));
        }
        Ok(Authed {
            role,
            _permission: PhantomData,
        })
    }
}
