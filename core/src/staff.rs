//! A restaurant's staff: who may sign in to its manager side, with which role, and what each
//! role may do; the sessions and one-time setup links they sign in with; the audit trail of
//! what was changed, by whom.
//!
//! Nothing here draws randomness or reads a clock: tokens are made from bytes an adapter drew,
//! and password hashing is the driver's (it is slow on purpose and runs off the request
//! workers). What is here is the rules: the permission table, the password policy, the shapes.

use std::fmt;

use chameleon_rules::formats::{EMAIL_MAX_LEN, EMAIL_REFUSED};
use chameleon_rules::text::STAFF_NAME;
use sha2::{Digest as _, Sha256};
use thiserror::Error;
use unicode_normalization::UnicodeNormalization as _;
use uuid::Uuid;

use crate::text::{TextError, parse_line};

/// A staff member's id, unique within the platform (drawn by the adapter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StaffId(Uuid);

impl StaffId {
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for StaffId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// A staff member's email address, as they sign in with it: trimmed and lower-cased, so it is
/// unique per restaurant without regard to case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

/// Why a text is not a usable email address.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("must be an email address (`name@example.com`, at most {max} characters)", max = Email::MAX_LEN)]
pub struct EmailError;

impl Email {
    /// RFC 5321's limit on a path.
    pub const MAX_LEN: usize = EMAIL_MAX_LEN;

    /// `local@domain` (see [`EMAIL_REFUSED`] for the characters neither part may hold; the
    /// domain is at least two labels, none empty), 3 to 254 characters as sent; kept lower-cased.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let refused = |c: char| EMAIL_REFUSED.iter().any(|&(lo, hi)| (lo..=hi).contains(&c));
        let fits = (3..=Self::MAX_LEN).contains(&raw.chars().count());
        let (local, domain) = raw.split_once('@').ok_or(EmailError)?;
        let part_ok = |part: &str| !part.is_empty() && !part.chars().any(refused);
        let domain_ok = domain.split('.').count() >= 2 && domain.split('.').all(part_ok);
        if fits && part_ok(local) && domain_ok {
            Ok(Self(raw.to_lowercase()))
        } else {
            Err(EmailError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A staff member's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffName(String);

/// Why a text is not a usable staff name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a staff member's name {0}")]
pub struct StaffNameError(#[source] pub TextError);

impl StaffName {
    pub fn parse(raw: &str) -> Result<Self, StaffNameError> {
        parse_line(raw, &STAFF_NAME)
            .map(Self)
            .map_err(StaffNameError)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a staff member is to the restaurant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Everything, staff and the API key included.
    Owner,
    /// Runs the restaurant: menu, categories, orders, opening hours and trading settings.
    Manager,
    /// Runs service: orders (read and move along), items sold out.
    Staff,
}

/// Why a text is not a role.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("must be one of `owner`, `manager`, `staff`")]
pub struct RoleError;

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Manager, Role::Staff];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::Staff => "staff",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, RoleError> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == raw)
            .ok_or(RoleError)
    }

    /// The permission table: whether this role may do `what`.
    pub fn may(self, what: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner => true,
            Role::Manager => !matches!(what, ManageStaff | RotateApiKey),
            Role::Staff => matches!(
                what,
                ReadMenu
                    | MarkSoldOut
                    | ReadOrders
                    | MoveOrders
                    | ReadSettings
                    | PauseOrders
                    | OwnAccount
            ),
        }
    }
}

/// Something done on a restaurant's manager side that not every role may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read the menu and the categories.
    ReadMenu,
    /// Create, change and remove items and categories.
    EditMenu,
    /// Mark an item or an option available or sold out (and nothing else of it).
    MarkSoldOut,
    /// Create, change and remove option groups.
    EditOptions,
    /// Read orders.
    ReadOrders,
    /// Confirm orders and move them along.
    MoveOrders,
    /// Read every setting.
    ReadSettings,
    /// Set busy (minutes added to every quote) and paused (no new orders), and nothing else.
    PauseOrders,
    /// Change opening hours and trading settings.
    EditSettings,
    /// Read the audit trail.
    ReadAudit,
    /// Invite, change, remove staff; issue their setup links.
    ManageStaff,
    /// Replace the manager API key.
    RotateApiKey,
    /// One's own account: who am I, one's password, one's sessions.
    OwnAccount,
}

impl Permission {
    pub const ALL: [Permission; 13] = [
        Permission::ReadMenu,
        Permission::EditMenu,
        Permission::MarkSoldOut,
        Permission::EditOptions,
        Permission::ReadOrders,
        Permission::MoveOrders,
        Permission::ReadSettings,
        Permission::PauseOrders,
        Permission::EditSettings,
        Permission::ReadAudit,
        Permission::ManageStaff,
        Permission::RotateApiKey,
        Permission::OwnAccount,
    ];

    /// The roles that may do this, strongest first.
    pub fn roles(self) -> Vec<Role> {
        Role::ALL.into_iter().filter(|r| r.may(self)).collect()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ReadMenu => "read the menu",
            Permission::EditMenu => "edit the menu and categories",
            Permission::MarkSoldOut => "mark items and options sold out (until when)",
            Permission::EditOptions => "edit option groups",
            Permission::ReadOrders => "read orders",
            Permission::MoveOrders => "confirm and move orders",
            Permission::ReadSettings => "read the settings",
            Permission::PauseOrders => "set busy and pause orders",
            Permission::EditSettings => "change opening hours and trading settings",
            Permission::ReadAudit => "read the audit trail",
            Permission::ManageStaff => "manage staff",
            Permission::RotateApiKey => "replace the API key",
            Permission::OwnAccount => "manage one's own account",
        }
    }
}

/// The permission table as the README prints it: one row per permission, a column per role.
pub fn permission_table_markdown() -> String {
    let mut table = String::from("| may | owner | manager | staff |\n|---|---|---|---|\n");
    for permission in Permission::ALL {
        let cells: Vec<&str> = Role::ALL
            .into_iter()
            .map(|role| if role.may(permission) { "yes" } else { "-" })
            .collect();
        table.push_str(&format!(
            "| {} | {} |\n",
            permission.as_str(),
            cells.join(" | ")
        ));
    }
    table
}

/// A password as typed: 10 to 128 characters after Unicode normalisation (NFC), so the same
/// password typed on two keyboards is the same. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

/// Why a text is not an acceptable password.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a password must be {min} to {max} characters, got {0}", min = Password::MIN_CHARS, max = Password::MAX_CHARS)]
pub struct PasswordError(pub usize);

impl Password {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        let normalized: String = raw.nfc().collect();
        let chars = normalized.chars().count();
        if (Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars) {
            Ok(Self(normalized))
        } else {
            Err(PasswordError(chars))
        }
    }

    /// What a sign-in attempt sent, normalised the same way but not held to the policy: a
    /// wrong password of any length is checked (and fails) like any other.
    pub fn attempt(raw: &str) -> Self {
        Self(raw.nfc().collect())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A stored password hash (a PHC string); what it says is the hasher's business.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn new(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

/// A bearer secret handed to one person: a session (the `chameleon_session` cookie) or a
/// one-time setup link. 256 random bits, written as 64 hex digits; stored only as its
/// [`TokenDigest`].
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub const HEX_DIGITS: usize = 64;

    /// Builds a token from 32 bytes the caller drew from a cryptographically secure source.
    pub fn from_random_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// `raw` when it can be a token (64 lowercase hex digits): anything else finds nothing
    /// without a lookup.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == Self::HEX_DIGITS
            && raw
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> TokenDigest {
        TokenDigest(Sha256::digest(self.0.as_bytes()).into())
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// SHA-256 of a [`Token`]: what is stored and looked up. A stolen table gives no usable token.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex: 64 characters of `[0-9a-f]`, nothing a client chose.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenDigest(..)")
    }
}

/// How a manager-side request proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// The tenant's manager API key (checked already): acts as an owner.
    ApiKey,
    /// A staff session: checked by the storage adapter inside each transaction it opens for the
    /// request, under the tenant's role, so the check costs no round trip of its own and a
    /// session of one tenant is looked for in that tenant's schema only.
    Session(TokenDigest),
    /// The platform's admin, through the system API.
    Platform,
}

/// On whose behalf, and with which permission, a tenant's data is touched. Carried by the
/// [`Tenant`](crate::tenant::Tenant) handle the manager side hands its ports: an adapter binds
/// every transaction it opens with that handle to it (checks the session and its role, and
/// writes what changed to the audit trail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acting {
    pub credential: Credential,
    /// The roles that may do what this request does.
    pub allowed: Vec<Role>,
    /// The request's id, for the audit trail (`[A-Za-z0-9-]{1,64}` or absent).
    pub request_id: Option<String>,
}

impl Acting {
    /// `credential` doing something `permission` covers.
    pub fn new(credential: Credential, permission: Permission, request_id: Option<String>) -> Self {
        let request_id = request_id.filter(|id| {
            (1..=64).contains(&id.len())
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        Self {
            credential,
            allowed: permission.roles(),
            request_id,
        }
    }
}

/// Who did something, as the audit trail says it: `staff:<id>`, `api_key` or `platform`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Staff(StaffId),
    ApiKey,
    Platform,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Staff(id) => write!(f, "staff:{id}"),
            Actor::ApiKey => f.write_str("api_key"),
            Actor::Platform => f.write_str("platform"),
        }
    }
}

/// What a manager-side write did, as `<resource>.<verb>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    MenuItemCreate,
    MenuItemUpdate,
    MenuItemDelete,
    CategoryCreate,
    CategoryUpdate,
    CategoryDelete,
    OptionGroupCreate,
    OptionGroupUpdate,
    OptionGroupDelete,
    OrderStatus,
    SettingsUpdate,
    ApiKeyRotate,
    StaffInvite,
    StaffUpdate,
    StaffRemove,
    StaffSetupLink,
    StaffPasswordChange,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::MenuItemCreate => "menu_item.create",
            AuditAction::MenuItemUpdate => "menu_item.update",
            AuditAction::MenuItemDelete => "menu_item.delete",
            AuditAction::CategoryCreate => "category.create",
            AuditAction::CategoryUpdate => "category.update",
            AuditAction::CategoryDelete => "category.delete",
            AuditAction::OptionGroupCreate => "option_group.create",
            AuditAction::OptionGroupUpdate => "option_group.update",
            AuditAction::OptionGroupDelete => "option_group.delete",
            AuditAction::OrderStatus => "order.status",
            AuditAction::SettingsUpdate => "settings.update",
            AuditAction::ApiKeyRotate => "api_key.rotate",
            AuditAction::StaffInvite => "staff.invite",
            AuditAction::StaffUpdate => "staff.update",
            AuditAction::StaffRemove => "staff.remove",
            AuditAction::StaffSetupLink => "staff.setup_link",
            AuditAction::StaffPasswordChange => "staff.password",
        }
    }
}

/// One line of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: jiff::Timestamp,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub request_id: Option<String>,
}

/// A page of the audit trail, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    /// Where the next page starts (the last entry's position), when there may be one.
    pub next: Option<AuditCursor>,
}

/// A position in the audit trail: entries older than it come next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditCursor {
    pub at: jiff::Timestamp,
    pub id: Uuid,
}

impl AuditCursor {
    /// `<microseconds since the epoch>.<uuid, simple>`.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.at.as_microsecond(), self.id.simple())
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let (micros, id) = raw.split_once('.')?;
        let at = jiff::Timestamp::from_microsecond(micros.parse().ok()?).ok()?;
        Some(Self {
            at,
            id: Uuid::try_parse(id).ok()?,
        })
    }
}

/// A staff member as stored (the password hash is not part of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffUser {
    pub id: StaffId,
    pub email: Email,
    pub name: StaffName,
    pub role: Role,
    pub disabled: bool,
    pub created_at: jiff::Timestamp,
    pub updated_at: jiff::Timestamp,
}

/// A staff member to invite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStaffUser {
    pub email: Email,
    pub name: StaffName,
    pub role: Role,
}

/// A change of a staff member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaffPatch {
    pub name: Option<StaffName>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

impl StaffPatch {
    pub fn apply(&self, user: &mut StaffUser) {
        if let Some(name) = &self.name {
            user.name = name.clone();
        }
        if let Some(role) = self.role {
            user.role = role;
        }
        if let Some(disabled) = self.disabled {
            user.disabled = disabled;
        }
    }

    /// Whether the change ends the member's sessions (their rights changed or ended).
    pub fn ends_sessions(&self, before: &StaffUser, after: &StaffUser) -> bool {
        before.role != after.role || (after.disabled && !before.disabled)
    }
}

/// Whether `user`, as it would be, still counts as an owner who can sign in.
pub fn is_enabled_owner(user: &StaffUser) -> bool {
    user.role == Role::Owner && !user.disabled
}

/// A new session or setup link, as the adapter stores it: the digest and when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub digest: TokenDigest,
    /// Absolute end.
    pub expires_at: jiff::Timestamp,
    /// For a session: how long it may sit unused before it ends.
    pub idle: std::time::Duration,
}

/// What signing in with an email needs to know, read in one transaction.
#[derive(Debug, Clone)]
pub struct SignInRecord {
    /// The member with that email, with their password hash (none until set up).
    pub user: Option<(StaffUser, Option<PasswordHash>)>,
    /// Failed sign-ins for the account within the window.
    pub account_failures: u32,
    /// Failed sign-ins from the client's address within the window.
    pub address_failures: u32,
    /// When the oldest counted failure leaves the window (for `Retry-After`).
    pub retry_at: Option<jiff::Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_permission_table() {
        use Permission::*;
        let table: Vec<(Permission, Vec<Role>)> = Permission::ALL
            .into_iter()
            .map(|p| (p, p.roles()))
            .collect();
        let all = vec![Role::Owner, Role::Manager, Role::Staff];
        let managers = vec![Role::Owner, Role::Manager];
        let owners = vec![Role::Owner];
        assert_eq!(
            table,
            vec![
                (ReadMenu, all.clone()),
                (EditMenu, managers.clone()),
                (MarkSoldOut, all.clone()),
                (EditOptions, managers.clone()),
                (ReadOrders, all.clone()),
                (MoveOrders, all.clone()),
                (ReadSettings, all.clone()),
                (PauseOrders, all.clone()),
                (EditSettings, managers.clone()),
                (ReadAudit, managers),
                (ManageStaff, owners.clone()),
                (RotateApiKey, owners),
                (OwnAccount, all),
            ]
        );
    }

    /// The README prints the table the code applies. `UPDATE_SNAPSHOTS=1` rewrites it.
    #[test]
    fn the_readme_prints_the_permission_table() {
        const BEGIN: &str = "<!-- permissions:begin -->\n";
        const END: &str = "<!-- permissions:end -->";
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
        let readme = std::fs::read_to_string(&path).unwrap();
        let start = readme.find(BEGIN).expect("the README's table markers") + BEGIN.len();
        let end = readme[start..].find(END).expect("the end marker") + start;
        let table = permission_table_markdown();
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            let updated = format!("{}{}{}", &readme[..start], table, &readme[end..]);
            std::fs::write(&path, updated).unwrap();
        } else {
            assert_eq!(readme[start..end], table, "UPDATE_SNAPSHOTS=1 rewrites it");
        }
    }

    #[test]
    fn passwords_are_10_to_128_characters_in_nfc() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        assert!(Password::parse(&"é".repeat(128)).is_ok());
        // "e" + combining acute is one character once composed.
        let decomposed = "e\u{301}".repeat(10);
        let password = Password::parse(&decomposed).unwrap();
        assert_eq!(password.expose(), "é".repeat(10));
        assert_eq!(password, Password::parse(&"é".repeat(10)).unwrap());
        assert_eq!(format!("{password:?}"), "Password(<redacted>)");
    }

    #[test]
    fn emails_are_compared_without_case() {
        assert_eq!(
            Email::parse("Ann@Example.COM").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in [
            " ann@example.com",
            "a@b@c.io",
            "",
            "ann",
            "@example.com",
            "ann@",
            "ann@localhost",
            "a b@x.io",
            "ann@x..io",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tokens_are_64_hex_digits_and_stored_as_their_digest() {
        let token = Token::from_random_bytes([0xab; 32]);
        assert_eq!(token.expose(), "ab".repeat(32));
        assert_eq!(Token::parse(token.expose()), Some(token.clone()));
        assert_eq!(Token::parse(&"AB".repeat(32)), None);
        assert_eq!(Token::parse("abc"), None);
        assert_ne!(token.digest(), Token::from_random_bytes([0; 32]).digest());
        assert_eq!(token.digest().to_hex().len(), 64);
    }

    #[test]
    fn audit_cursors_round_trip() {
        let cursor = AuditCursor {
            at: jiff::Timestamp::from_microsecond(1_700_000_000_123_456).unwrap(),
            id: Uuid::from_u128(7),
        };
        assert_eq!(AuditCursor::parse(&cursor.encode()), Some(cursor));
        assert_eq!(AuditCursor::parse("x.y"), None);
    }

    #[test]
    fn a_role_change_or_disabling_ends_sessions() {
        let user = StaffUser {
            id: StaffId::from_uuid(Uuid::nil()),
            email: Email::parse("a@b.io").unwrap(),
            name: StaffName::parse("A").unwrap(),
            role: Role::Manager,
            disabled: false,
            created_at: jiff::Timestamp::UNIX_EPOCH,
            updated_at: jiff::Timestamp::UNIX_EPOCH,
        };
        let rename = StaffPatch {
            name: Some(StaffName::parse("B").unwrap()),
            ..StaffPatch::default()
        };
        let mut after = user.clone();
        rename.apply(&mut after);
        assert!(!rename.ends_sessions(&user, &after));
        let demote = StaffPatch {
            role: Some(Role::Staff),
            ..StaffPatch::default()
        };
        let mut after = user.clone();
        demote.apply(&mut after);
        assert!(demote.ends_sessions(&user, &after));
    }
}
