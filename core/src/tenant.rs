//! Tenant identity and routing: who a tenant is, where its data lives and how requests find it.

use std::fmt;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use thiserror::Error;
use uuid::Uuid;

use crate::hours::{Currency, Locale, OpeningHours, StoreSettings, TimeZoneName};
use crate::pickup::PickupPatch;
use chameleon_rules::codes::TENANT_STATUSES;
use chameleon_rules::formats::{HOSTNAME, MANAGER_KEY_HEX_DIGITS, MANAGER_KEY_PREFIX};
use chameleon_rules::text::TextRule;

use crate::text::{TextError, parse_line};
use crate::theme::Theme;

/// A tenant's identifier. Adapters draw it; the core only carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(Uuid);

impl TenantId {
    /// Wraps an identifier drawn by an adapter (or read back from storage).
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// Parses the textual form a client sends (`X-Tenant-ID`).
    pub fn parse(raw: &str) -> Result<Self, TenantIdError> {
        Uuid::try_parse(raw.trim())
            .map(Self)
            .map_err(|_| TenantIdError)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The text given is not a UUID.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a tenant id must be a UUID")]
pub struct TenantIdError;

/// The name of a tenant's PostgreSQL schema, which is also the name of the tenant's database role:
/// `tenant_` followed by the 32 lowercase hex digits of the tenant id.
///
/// Because it is derived from the id and checked on parse, it only ever holds `[a-z0-9_]`, so an
/// adapter may splice it into DDL (which cannot take bind parameters) without quoting surprises.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SchemaName(String);

impl SchemaName {
    const PREFIX: &'static str = "tenant_";

    /// The schema (and role) name of tenant `id`.
    pub fn for_tenant(id: TenantId) -> Self {
        Self(format!("{}{}", Self::PREFIX, id.0.simple()))
    }

    /// Accepts exactly `tenant_<32 lowercase hex digits>`.
    pub fn parse(raw: &str) -> Result<Self, SchemaNameError> {
        let hex = raw.strip_prefix(Self::PREFIX).ok_or(SchemaNameError)?;
        let well_formed = hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if well_formed {
            Ok(Self(raw.to_owned()))
        } else {
            Err(SchemaNameError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The text is not `tenant_<32 lowercase hex digits>`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a schema name must be `tenant_` followed by 32 lowercase hex digits")]
pub struct SchemaNameError;

/// A tenant's domain, in the canonical form used for routing: ASCII (internationalised names in
/// punycode), lowercase, without a port or a trailing dot.
///
/// The same parser serves the provisioning body and the `Host` header, so `Pizza.Localhost.:8080`
/// finds the tenant registered as `pizza.localhost`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Domain(String);

impl Domain {
    /// Longest input considered at all; anything longer cannot be a hostname even after mapping.
    const MAX_INPUT: usize = chameleon_rules::formats::MAX_HOST_HEADER;
    /// RFC 1035: 253 characters for the presentation form without the trailing dot.
    const MAX_LEN: usize = HOSTNAME.max_len;
    const MAX_LABEL: usize = HOSTNAME.max_label;

    /// Parses a hostname, optionally followed by `:port` and/or a trailing dot.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(DomainError::Empty);
        }
        if raw.len() > Self::MAX_INPUT {
            return Err(DomainError::TooLong);
        }
        if raw.starts_with('[') {
            return Err(DomainError::IpLiteral);
        }
        let host = match raw.rsplit_once(':') {
            Some((host, port)) => {
                if port.is_empty()
                    || !port.bytes().all(|b| b.is_ascii_digit())
                    || port.len() > HOSTNAME.max_port_digits
                {
                    return Err(DomainError::BadPort);
                }
                host
            }
            None => raw,
        };
        let host = host.strip_suffix('.').unwrap_or(host);
        if host.is_empty() {
            return Err(DomainError::Empty);
        }
        let ascii = if host.is_ascii() {
            host.to_ascii_lowercase()
        } else {
            idna::domain_to_ascii(host).map_err(|_| DomainError::Idna)?
        };
        Self::check_hostname(&ascii)?;
        Ok(Self(ascii))
    }

    /// Parses a domain as an API client registers one: what [`Domain::parse`] takes, but ASCII
    /// only (an international name in its punycode form, `xn--bcher-kva.example`) and without
    /// surrounding white space. This is exactly what the OpenAPI document's pattern for
    /// `domain` admits.
    pub fn parse_name(raw: &str) -> Result<Self, DomainError> {
        if !raw.is_ascii() || raw.bytes().any(|b| b.is_ascii_whitespace()) {
            return Err(DomainError::BadCharacter);
        }
        Self::parse(raw)
    }

    fn check_hostname(host: &str) -> Result<(), DomainError> {
        if host.is_empty() {
            return Err(DomainError::Empty);
        }
        if host.len() > Self::MAX_LEN {
            return Err(DomainError::TooLong);
        }
        let mut last = "";
        for label in host.split('.') {
            if label.is_empty() || label.len() > Self::MAX_LABEL {
                return Err(DomainError::BadLabel);
            }
            if !label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(DomainError::BadCharacter);
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(DomainError::BadLabel);
            }
            last = label;
        }
        // RFC 3696 §2: a top-level label is never all-numeric; this also rules out IPv4 literals.
        if last.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::IpLiteral);
        }
        Ok(())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a text is not a usable tenant domain.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("a domain must not be empty")]
    Empty,
    #[error("a domain must be at most {} characters", HOSTNAME.max_len)]
    TooLong,
    #[error("a domain's port must be 1 to {} digits", HOSTNAME.max_port_digits)]
    BadPort,
    #[error("an IP address is not a domain")]
    IpLiteral,
    #[error(
        "each label of a domain must be 1 to {} characters and not start or end with '-'",
        HOSTNAME.max_label
    )]
    BadLabel,
    #[error("a domain may only contain letters, digits, '-' and '.'")]
    BadCharacter,
    #[error("a domain's international characters cannot be mapped to punycode")]
    Idna,
}

/// A restaurant's display name: trimmed, 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantName(String);

impl TenantName {
    pub const RULE: TextRule = chameleon_rules::text::TENANT_NAME;

    pub fn parse(raw: &str) -> Result<Self, TenantNameError> {
        parse_line(raw, &Self::RULE)
            .map(Self)
            .map_err(TenantNameError)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a text is not a usable display name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a tenant name {0}")]
pub struct TenantNameError(#[source] pub TextError);

/// A tenant manager's API key, as shown once at provisioning: `chm_` and 64 hex digits encoding
/// 32 random bytes. Its `Debug` form is redacted so it cannot leak through a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct ManagerApiKey(String);

impl ManagerApiKey {
    const PREFIX: &'static str = MANAGER_KEY_PREFIX;

    /// Builds a key from 32 bytes the caller drew from a cryptographically secure source.
    pub fn from_random_bytes(bytes: [u8; 32]) -> Self {
        let mut text = String::with_capacity(Self::PREFIX.len() + MANAGER_KEY_HEX_DIGITS);
        text.push_str(Self::PREFIX);
        for byte in bytes {
            text.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
            text.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
        }
        Self(text)
    }

    /// Whether `presented` has the form of a manager key (`chm_` and 64 lowercase hex digits).
    /// Checked before anything is looked up, so a malformed key costs nothing.
    pub fn is_well_formed(presented: &str) -> bool {
        presented.strip_prefix(Self::PREFIX).is_some_and(|hex| {
            hex.len() == MANAGER_KEY_HEX_DIGITS
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
    }

    /// The key itself, to be shown to its owner exactly once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> ManagerKeyHash {
        ManagerKeyHash::of(&self.0)
    }
}

impl fmt::Debug for ManagerApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ManagerApiKey(<redacted>)")
    }
}

/// What is stored of a manager API key: its SHA-256.
///
/// A plain (unsalted, fast) hash is enough here because the key carries 256 bits of randomness:
/// there is no dictionary to attack. Comparison is constant-time so a timing side channel
/// reveals nothing about how much of a guess matched.
#[derive(Clone, PartialEq, Eq)]
pub struct ManagerKeyHash([u8; 32]);

impl ManagerKeyHash {
    fn of(key: &str) -> Self {
        Self(Sha256::digest(key.as_bytes()).into())
    }

    /// Restores a stored hash; `None` when `bytes` is not 32 bytes long.
    pub fn from_stored(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Whether `presented` is the key this hash was made from, in time independent of where a
    /// wrong guess differs.
    pub fn verifies(&self, presented: &str) -> bool {
        Self::of(presented).0.ct_eq(&self.0).into()
    }
}

impl fmt::Debug for ManagerKeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ManagerKeyHash(..)")
    }
}

/// Whether a tenant's storefront serves customers. A suspended tenant's storefront answers
/// "temporarily closed"; its manager keeps working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TenantStatus {
    #[default]
    Active,
    Suspended,
}

impl TenantStatus {
    /// Every status, in [`chameleon_rules::codes::TENANT_STATUSES`]' order.
    pub const ALL: [TenantStatus; 2] = [TenantStatus::Active, TenantStatus::Suspended];

    pub fn as_str(&self) -> &'static str {
        TENANT_STATUSES[*self as usize]
    }

    /// Accepts exactly `active` or `suspended`.
    pub fn parse(raw: &str) -> Result<Self, TenantStatusError> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == raw)
            .ok_or(TenantStatusError)
    }
}

/// The text is not a tenant status.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a tenant status is `active` or `suspended`")]
pub struct TenantStatusError;

/// A registered tenant: identity, routing, branding, status and the hash of its manager key.
///
/// `domain` is its primary domain (the one a removal must be confirmed with); every other domain
/// it answers on is in [`TenantDetails::domains`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub schema: SchemaName,
    pub domain: Domain,
    pub name: TenantName,
    pub theme: Theme,
    pub status: TenantStatus,
    /// Currency, locale, time zone, opening hours.
    pub settings: StoreSettings,
    pub manager_key_hash: ManagerKeyHash,
    /// On whose behalf this handle touches the tenant's data (the manager side sets it; see
    /// [`Acting`](crate::staff::Acting)); `None` for the storefront and the platform's own work.
    pub acting: Option<crate::staff::Acting>,
}

impl Tenant {
    /// This tenant, handled on behalf of `acting`: every transaction an adapter opens with the
    /// handle checks `acting`'s credential and role, and audits what it changes.
    pub fn acting(&self, acting: crate::staff::Acting) -> Tenant {
        Tenant {
            acting: Some(acting),
            ..self.clone()
        }
    }
}

/// A tenant whose storefront is open: what every storefront use case takes, and what only
/// [`ActiveTenant::check`] makes, from a tenant that is not suspended. So a suspended
/// restaurant's storefront is closed by core itself, whatever drives it (the HTTP adapter's
/// storefront middleware makes one as soon as the host is resolved, so a suspended storefront
/// is answered before anything else is read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveTenant(Arc<Tenant>);

impl ActiveTenant {
    /// `tenant`, when its storefront is open; `Err` when it is suspended.
    pub fn check(tenant: Arc<Tenant>) -> Result<Self, TenantSuspended> {
        match tenant.status {
            TenantStatus::Active => Ok(Self(tenant)),
            TenantStatus::Suspended => Err(TenantSuspended {
                name: tenant.name.clone(),
            }),
        }
    }
}

impl std::ops::Deref for ActiveTenant {
    type Target = Tenant;

    fn deref(&self) -> &Tenant {
        &self.0
    }
}

/// The restaurant is suspended by its operator: its storefront is closed (its manager keeps
/// working).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{} is temporarily closed", name.as_str())]
pub struct TenantSuspended {
    pub name: TenantName,
}

/// One of the domains a tenant answers on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantDomain {
    pub domain: Domain,
    /// Exactly one domain of a tenant is primary: the one in [`Tenant::domain`].
    pub primary: bool,
    /// Where the domain's HTTPS certificate stands.
    pub certificate: Certificate,
}

/// Where a domain's certificate stands (issued by the platform's ACME client).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CertificateStatus {
    /// None was asked for (ACME is off, or the domain was added a moment ago).
    #[default]
    None,
    /// Being ordered (or the first order failed and is retried).
    Pending,
    /// Issued, and not expired.
    Valid,
    /// The last order failed and none valid is held; `last_error` says why.
    Failed,
}

impl CertificateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateStatus::None => "none",
            CertificateStatus::Pending => "pending",
            CertificateStatus::Valid => "valid",
            CertificateStatus::Failed => "failed",
        }
    }

    /// The status a stored name stands for; `None` for a name of none.
    pub fn parse(name: &str) -> Option<CertificateStatus> {
        [
            CertificateStatus::None,
            CertificateStatus::Pending,
            CertificateStatus::Valid,
            CertificateStatus::Failed,
        ]
        .into_iter()
        .find(|status| status.as_str() == name)
    }
}

/// A domain's certificate: its status, when the one held expires, and why the last order
/// failed (cleared by a success).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Certificate {
    pub status: CertificateStatus,
    pub not_after: Option<std::time::SystemTime>,
    pub last_error: Option<String>,
}

/// A tenant with every domain it answers on, primary first, then the others by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantDetails {
    pub tenant: Tenant,
    pub domains: Vec<TenantDomain>,
}

/// A change of a tenant's settings: only the fields that are `Some` change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantPatch {
    pub name: Option<TenantName>,
    pub theme: Option<Theme>,
    pub status: Option<TenantStatus>,
    pub currency: Option<Currency>,
    pub locale: Option<Locale>,
    pub timezone: Option<TimeZoneName>,
    /// `Some(None)`: always open from now on.
    pub opening_hours: Option<Option<OpeningHours>>,
    /// Pickup times, busy and paused, closures.
    pub pickup: PickupPatch,
}

impl TenantPatch {
    /// `tenant` with this patch applied.
    pub fn apply(&self, tenant: &Tenant) -> Tenant {
        Tenant {
            name: self.name.clone().unwrap_or_else(|| tenant.name.clone()),
            theme: self.theme.clone().unwrap_or_else(|| tenant.theme.clone()),
            status: self.status.unwrap_or(tenant.status),
            settings: StoreSettings {
                currency: self.currency.unwrap_or(tenant.settings.currency),
                locale: self
                    .locale
                    .clone()
                    .unwrap_or_else(|| tenant.settings.locale.clone()),
                timezone: self
                    .timezone
                    .clone()
                    .unwrap_or_else(|| tenant.settings.timezone.clone()),
                opening_hours: self
                    .opening_hours
                    .clone()
                    .unwrap_or_else(|| tenant.settings.opening_hours.clone()),
                pickup: self.pickup.apply(&tenant.settings.pickup),
            },
            ..tenant.clone()
        }
    }
}

/// What provisioning needs to register a tenant. The id, and so the schema, are drawn by the
/// provisioner.
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub domain: Domain,
    pub name: TenantName,
    pub theme: Theme,
    pub settings: StoreSettings,
    pub manager_key_hash: ManagerKeyHash,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_active_tenant_opens_its_storefront() {
        let tenant = |status| {
            let id = TenantId::from_uuid(Uuid::from_u128(7));
            Arc::new(Tenant {
                id,
                schema: SchemaName::for_tenant(id),
                domain: Domain::parse("shut.localhost").unwrap(),
                name: TenantName::parse("shut.localhost").unwrap(),
                theme: Theme {
                    primary_color: crate::theme::ThemeColor::parse("#000").unwrap(),
                    font: crate::theme::Font::Serif,
                },
                status,
                settings: StoreSettings::default(),
                manager_key_hash: ManagerApiKey::from_random_bytes([0; 32]).hash(),
                acting: None,
            })
        };
        assert!(ActiveTenant::check(tenant(TenantStatus::Active)).is_ok());
        let refused = ActiveTenant::check(tenant(TenantStatus::Suspended)).unwrap_err();
        assert_eq!(refused.to_string(), "shut.localhost is temporarily closed");
    }

    #[test]
    fn statuses_are_named_as_the_rules_name_them() {
        for (status, name) in TenantStatus::ALL.iter().zip(TENANT_STATUSES) {
            assert_eq!(status.as_str(), *name);
            assert_eq!(TenantStatus::parse(name), Ok(*status));
        }
        assert_eq!(TenantStatus::ALL.len(), TENANT_STATUSES.len());
    }

    fn domain(raw: &str) -> Result<String, DomainError> {
        Domain::parse(raw).map(|d| d.as_str().to_owned())
    }

    #[test]
    fn domains_are_lowercased_and_lose_port_and_trailing_dot() {
        assert_eq!(domain("Pizza.Localhost").unwrap(), "pizza.localhost");
        assert_eq!(domain("pizza.localhost:8080").unwrap(), "pizza.localhost");
        assert_eq!(domain("pizza.localhost.").unwrap(), "pizza.localhost");
        assert_eq!(domain("PIZZA.localhost.:80").unwrap(), "pizza.localhost");
        assert_eq!(domain("a.com").unwrap(), "a.com");
    }

    #[test]
    fn international_domains_become_punycode() {
        assert_eq!(domain("Bücher.example").unwrap(), "xn--bcher-kva.example");
        assert_eq!(
            domain("bücher.example:443").unwrap(),
            "xn--bcher-kva.example"
        );
    }

    #[test]
    fn things_that_are_not_hostnames_are_rejected() {
        for bad in [
            "",
            "   ",
            ".",
            "a..com",
            ".a.com",
            "-a.com",
            "a-.com",
            "a_b.com",
            "a b.com",
            "a.com/path",
            "a.com:",
            "a.com:http",
            "a.com:123456",
            "user@a.com",
            "127.0.0.1",
            "[::1]:8080",
            "a.com;drop table tenants",
            "<script>.com",
        ] {
            assert!(Domain::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(
            Domain::parse(&"a".repeat(64)).unwrap_err(),
            DomainError::BadLabel
        );
        let long = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(63),
        ]
        .join(".");
        assert_eq!(Domain::parse(&long).unwrap_err(), DomainError::TooLong);
    }

    #[test]
    fn a_registered_name_is_a_plain_hostname() {
        assert_eq!(
            Domain::parse_name("Pizza.Localhost").unwrap().as_str(),
            "pizza.localhost"
        );
        assert_eq!(
            Domain::parse_name("xn--bcher-kva.example")
                .unwrap()
                .as_str(),
            "xn--bcher-kva.example"
        );
        for bad in [
            "",
            " a.com",
            "a.com ",
            "bücher.example",
            "127.0.0.1",
            "a..com",
            "-a.com",
        ] {
            assert!(Domain::parse_name(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn schema_names_are_tenant_and_the_hex_of_the_id() {
        let id = TenantId::parse("6f9619ff-8b86-d011-b42d-00c04fc964ff").unwrap();
        let schema = SchemaName::for_tenant(id);
        assert_eq!(schema.as_str(), "tenant_6f9619ff8b86d011b42d00c04fc964ff");
        assert_eq!(SchemaName::parse(schema.as_str()).unwrap(), schema);
    }

    #[test]
    fn schema_names_outside_the_pattern_are_rejected() {
        for bad in [
            "public",
            "tenant_",
            "tenant_6F9619FF8B86D011B42D00C04FC964FF",
            "tenant_6f9619ff8b86d011b42d00c04fc964f",
            "tenant_6f9619ff8b86d011b42d00c04fc964ff0",
            "tenant_6f9619ff8b86d011b42d00c04fc964f\"",
        ] {
            assert!(SchemaName::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn manager_keys_verify_only_against_their_own_hash() {
        let key = ManagerApiKey::from_random_bytes([7; 32]);
        let other = ManagerApiKey::from_random_bytes([8; 32]);
        assert!(key.expose().starts_with("chm_"));
        assert_eq!(key.expose().len(), 68);
        assert!(key.hash().verifies(key.expose()));
        assert!(!key.hash().verifies(other.expose()));
        assert!(!key.hash().verifies(""));
    }

    #[test]
    fn only_keys_of_the_issued_form_are_well_formed() {
        let key = ManagerApiKey::from_random_bytes([0xab; 32]);
        assert!(ManagerApiKey::is_well_formed(key.expose()));
        for bad in [
            "",
            "chm_",
            "chm_abc",
            &key.expose().to_uppercase(),
            &format!("{}0", key.expose()),
            &key.expose().replace("chm_", "xyz_"),
            &format!("chm_{}", "g".repeat(64)),
        ] {
            assert!(!ManagerApiKey::is_well_formed(bad), "{bad:?}");
        }
    }

    #[test]
    fn manager_keys_never_print() {
        let key = ManagerApiKey::from_random_bytes([7; 32]);
        assert!(!format!("{key:?}").contains(&key.expose()[4..]));
    }

    #[test]
    fn statuses_parse_exactly() {
        for status in [TenantStatus::Active, TenantStatus::Suspended] {
            assert_eq!(TenantStatus::parse(status.as_str()), Ok(status));
        }
        for bad in ["", "Active", "paused", " active"] {
            assert!(TenantStatus::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn stored_hashes_must_be_32_bytes() {
        assert!(ManagerKeyHash::from_stored(&[0; 31]).is_none());
        assert!(ManagerKeyHash::from_stored(&[0; 32]).is_some());
    }
}
