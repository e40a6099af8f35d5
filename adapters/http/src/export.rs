//! The streamed tenant export: records handed over by the order repository one at a time,
//! written as one JSON document ([`chameleon_wire::TenantExport`]) in chunks.
//!
//! Memory stays constant whatever the number of orders: the repository streams rows from one
//! snapshot, each record is serialised into a chunk of about [`CHUNK`] bytes, and at most
//! [`CHUNKS_IN_FLIGHT`] chunks wait for the client. A slow client slows the export down
//! instead (the bounded channel waits, then the repository's row stream waits).
//!
//! The status line (200) goes out before the data is read, so a failure half way cannot become
//! an error status: the body is cut off instead (the connection is closed without the final
//! chunk), which no client can mistake for a complete document.

use std::io;

use actix_web::web::Bytes;
use chameleon_core::menu::{Category, MenuItem};
use chameleon_core::options::OptionGroup;
use chameleon_core::order::Order;
use chameleon_core::ports::{ExportError, ExportSink, SinkClosed};
use chameleon_core::staff::{AuditEntry, StaffUser};
use chameleon_wire as wire;
use futures_util::Stream;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::convert;

/// The size a chunk grows to before it is sent.
pub const CHUNK: usize = 32 * 1024;
/// Chunks written but not yet taken by the client.
pub const CHUNKS_IN_FLIGHT: usize = 8;

/// The part of the document being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Categories { empty: bool },
    Menu { empty: bool },
    OptionGroups { empty: bool },
    Orders { empty: bool },
    Staff { empty: bool },
    Audit { empty: bool },
}

/// An [`ExportSink`] writing the export document into a channel the response body reads.
#[derive(Debug)]
pub struct JsonSink {
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
    buf: Vec<u8>,
    section: Section,
    /// The restaurant's: orders' pickup times are written with its offset.
    zone: jiff::tz::TimeZone,
}

impl JsonSink {
    /// A sink that starts the document with `tenant`, and the response body that reads it.
    pub fn channel(
        tenant: &wire::TenantDetails,
        zone: jiff::tz::TimeZone,
    ) -> (
        JsonSink,
        impl Stream<Item = Result<Bytes, io::Error>> + 'static,
    ) {
        let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
        let mut buf = Vec::with_capacity(CHUNK + 1024);
        buf.extend_from_slice(b"{\"format\":\"chameleon.export.v1\",\"exported_at\":");
        write_json(&mut buf, &convert::rfc3339(std::time::SystemTime::now()));
        buf.extend_from_slice(b",\"tenant\":");
        write_json(&mut buf, tenant);
        buf.extend_from_slice(b",\"categories\":[");
        let body = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|chunk| (chunk, rx))
        });
        (
            JsonSink {
                tx,
                buf,
                section: Section::Categories { empty: true },
                zone,
            },
            body,
        )
    }

    async fn flush_if_full(&mut self) -> Result<(), SinkClosed> {
        if self.buf.len() >= CHUNK {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), SinkClosed> {
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK + 1024));
        self.tx
            .send(Ok(Bytes::from(chunk)))
            .await
            .map_err(|_| SinkClosed)
    }

    fn start_menu(&mut self) {
        if let Section::Categories { .. } = self.section {
            self.buf.extend_from_slice(b"],\"menu\":[");
            self.section = Section::Menu { empty: true };
        }
    }

    fn start_option_groups(&mut self) {
        self.start_menu();
        if let Section::Menu { .. } = self.section {
            self.buf.extend_from_slice(b"],\"option_groups\":[");
            self.section = Section::OptionGroups { empty: true };
        }
    }

    fn start_orders(&mut self) {
        self.start_option_groups();
        if let Section::OptionGroups { .. } = self.section {
            self.buf.extend_from_slice(b"],\"orders\":[");
            self.section = Section::Orders { empty: true };
        }
    }

    fn start_staff(&mut self) {
        self.start_orders();
        if let Section::Orders { .. } = self.section {
            self.buf.extend_from_slice(b"],\"staff\":[");
            self.section = Section::Staff { empty: true };
        }
    }

    fn start_audit(&mut self) {
        self.start_staff();
        if let Section::Staff { .. } = self.section {
            self.buf.extend_from_slice(b"],\"audit\":[");
            self.section = Section::Audit { empty: true };
        }
    }

    /// Ends the document after a complete export, or cuts the body off after a failed one.
    pub async fn finish(mut self, outcome: Result<(), ExportError>) {
        match outcome {
            Ok(()) => {
                self.start_audit();
                self.buf.extend_from_slice(b"]}");
                // The client may have gone; nothing is left to do about it.
                let _ = self.flush().await;
            }
            Err(ExportError::SinkClosed(_)) => {
                tracing::info!("the export's client went away; export stopped");
            }
            Err(ExportError::Unknown(err)) => {
                tracing::error!(error = format!("{err:#}"), "export failed half way");
                let _ = self
                    .tx
                    .send(Err(io::Error::other("the export failed half way")))
                    .await;
            }
        }
    }
}

impl ExportSink for JsonSink {
    async fn category(&mut self, category: Category) -> Result<(), SinkClosed> {
        if let Section::Categories { empty } = &mut self.section {
            if !std::mem::replace(empty, false) {
                self.buf.push(b',');
            }
            write_json(&mut self.buf, &convert::category(&category));
        }
        self.flush_if_full().await
    }

    async fn menu_item(&mut self, item: MenuItem) -> Result<(), SinkClosed> {
        self.start_menu();
        if let Section::Menu { empty } = &mut self.section {
            if !std::mem::replace(empty, false) {
                self.buf.push(b',');
            }
            write_json(&mut self.buf, &convert::menu_item(&item));
        }
        self.flush_if_full().await
    }

    async fn option_group(&mut self, group: OptionGroup) -> Result<(), SinkClosed> {
        self.start_option_groups();
        if let Section::OptionGroups { empty } = &mut self.section
            && !std::mem::replace(empty, false)
        {
            self.buf.push(b',');
        }
        write_json(&mut self.buf, &convert::option_group(&group));
        self.flush_if_full().await
    }

    async fn order(&mut self, order: Order) -> Result<(), SinkClosed> {
        self.start_orders();
        if let Section::Orders { empty } = &mut self.section
            && !std::mem::replace(empty, false)
        {
            self.buf.push(b',');
        }
        write_json(&mut self.buf, &convert::order(&order, &self.zone));
        self.flush_if_full().await
    }

    async fn staff_member(&mut self, member: StaffUser) -> Result<(), SinkClosed> {
        self.start_staff();
        if let Section::Staff { empty } = &mut self.section
            && !std::mem::replace(empty, false)
        {
            self.buf.push(b',');
        }
        write_json(
            &mut self.buf,
            &wire::StaffMember {
                id: member.id.as_uuid(),
                email: member.email.as_str().to_owned(),
                name: member.name.as_str().to_owned(),
                role: member.role.as_str().to_owned(),
                disabled: member.disabled,
                created_at: member.created_at.to_string(),
                updated_at: member.updated_at.to_string(),
            },
        );
        self.flush_if_full().await
    }

    async fn audit_entry(&mut self, entry: AuditEntry) -> Result<(), SinkClosed> {
        self.start_audit();
        if let Section::Audit { empty } = &mut self.section
            && !std::mem::replace(empty, false)
        {
            self.buf.push(b',');
        }
        write_json(
            &mut self.buf,
            &wire::AuditEntry {
                at: entry.at.to_string(),
                actor: entry.actor,
                action: entry.action,
                target: entry.target,
                request_id: entry.request_id,
            },
        );
        self.flush_if_full().await
    }
}

/// Appends `value` as JSON. Serialising the wire types into a `Vec` cannot fail (no map with
/// non-string keys, no I/O).
fn write_json(buf: &mut Vec<u8>, value: &impl Serialize) {
    if let Err(err) = serde_json::to_writer(&mut *buf, value) {
        tracing::error!(error = %err, "a record could not be serialised");
    }
}
