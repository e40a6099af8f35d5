//! Assembling the actix application and running the server.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, ResponseError, web};
use chameleon_core::ports::Ports;
use chameleon_core::service::Chameleon;
use chameleon_wire::PROBLEM_JSON;
use secrecy::SecretString;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{ApiError, json_error, path_error, query_error};
use crate::handlers::{acme, health, menu, ordering, staff, tenancy};
use crate::openapi;
use crate::paths::refuse_ambiguous;
use crate::problem_code::ProblemCode;
use crate::state::Access;
use crate::state::{AcmeChallenges, AppState, ReadinessCheck, WorkerWarmUp};
use crate::telemetry::request_span;
use crate::tenancy::{admin_only, manager_tenant, slots_budget, store_tenant, tracking_budget};

/// Request bodies above this are refused with 413 (nginx enforces the same limit in front).
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// How the HTTP server runs.
#[derive(Clone)]
pub struct ServerSettings {
    /// Address to bind, e.g. `127.0.0.1` (behind nginx) or `0.0.0.0`.
    pub host: String,
    /// Port to bind; 0 picks a free one (see [`Application::port`]).
    pub port: u16,
    pub admin_token: SecretString,
    /// Worker threads; `None` for one per physical core.
    pub workers: Option<usize>,
    pub body_limit: usize,
    /// Run once by each worker thread before it serves; see [`WorkerWarmUp`].
    pub warm_up: Option<WorkerWarmUp>,
    /// How long requests in flight get to finish once a shutdown began.
    pub shutdown_timeout: Duration,
    /// How long readiness answers 503 before the listener closes (see [`Application`]).
    pub drain: Duration,
    /// Who may reach what, by address.
    pub access: Access,
    /// Where ACME challenge answers are kept (`None`: every challenge is 404).
    pub acme_challenges: Option<AcmeChallenges>,
    /// Staff sign-in (`None`: signing in answers 500, as misconfigured).
    pub staff: Option<crate::state::StaffSettings>,
}

impl std::fmt::Debug for ServerSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("workers", &self.workers)
            .field("body_limit", &self.body_limit)
            .field("warm_up", &self.warm_up.is_some())
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("drain", &self.drain)
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

/// The actix application over `state`: routes, extractor limits, tenant middleware, problem
/// responses, request spans. Tests build it directly; [`Application`] serves it.
pub fn app<P: Ports>(
    state: web::Data<AppState<P>>,
    body_limit: usize,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let warming = state.clone();
    App::new()
        // Runs on each worker thread as it starts, before it accepts a request.
        .data_factory(move || {
            let state = warming.clone();
            async move {
                state.warm_up_worker().await;
                Ok::<_, ()>(())
            }
        })
        .app_data(state)
        .app_data(
            web::JsonConfig::default()
                .limit(body_limit)
                .error_handler(json_error),
        )
        .app_data(web::PathConfig::default().error_handler(path_error))
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .wrap(from_fn(refuse_ambiguous))
        .wrap(
            ErrorHandlers::new().default_handler(move |res| bare_error_as_problem(res, body_limit)),
        )
        .wrap(from_fn(request_span))
        .service(web::resource("/healthz").route(web::get().to(health::get_health)))
        .service(web::resource("/readyz").route(web::get().to(health::get_readiness::<P>)))
        .service(
            web::resource("/.well-known/acme-challenge/{token}")
                .route(web::get().to(acme::answer_challenge::<P>)),
        )
        .service(SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", openapi::document()))
        .service(
            web::scope("/api/v1/sys")
                .wrap(from_fn(admin_only::<P, _>))
                .wrap(no_store())
                .service(
                    web::resource("/provision")
                        .route(web::post().to(tenancy::provision_tenant::<P>)),
                )
                .service(web::resource("/tenants").route(web::get().to(tenancy::list_tenants::<P>)))
                .service(
                    web::resource("/tenants/{id}")
                        .route(web::get().to(tenancy::get_tenant::<P>))
                        .route(web::patch().to(tenancy::update_tenant::<P>))
                        .route(web::delete().to(tenancy::delete_tenant::<P>)),
                )
                .service(
                    web::resource("/tenants/{id}/domains")
                        .route(web::post().to(tenancy::add_domain::<P>)),
                )
                .service(
                    web::resource("/tenants/{id}/domains/{domain}")
                        .route(web::delete().to(tenancy::remove_domain::<P>)),
                )
                .service(
                    web::resource("/tenants/{id}/export")
                        .route(web::get().to(tenancy::export_tenant::<P>)),
                )
                .service(
                    web::resource("/tenants/{id}/owner-setup-link")
                        .route(web::post().to(staff::owner_setup_link::<P>)),
                ),
        )
        // Signing in and setting up: no credential yet; the tenant is the one of the Host.
        .service(
            web::resource("/api/v1/manager/setup")
                .wrap(no_store())
                .route(web::post().to(staff::set_up::<P>)),
        )
        .service(
            web::resource("/api/v1/manager/session")
                .wrap(no_store())
                .route(web::post().to(staff::sign_in::<P>))
                .route(web::delete().to(staff::sign_out::<P>)),
        )
        .service(
            web::scope("/api/v1/manager")
                .wrap(from_fn(manager_tenant::<P, _>))
                .wrap(no_store())
                .service(
                    web::resource("/key").route(web::post().to(tenancy::rotate_manager_key::<P>)),
                )
                .service(web::resource("/me").route(web::get().to(staff::me::<P>)))
                .service(
                    web::resource("/password").route(web::post().to(staff::change_password::<P>)),
                )
                .service(
                    web::resource("/staff")
                        .route(web::get().to(staff::list_staff::<P>))
                        .route(web::post().to(staff::invite::<P>)),
                )
                .service(
                    web::resource("/staff/{id}")
                        .route(web::patch().to(staff::update_member::<P>))
                        .route(web::delete().to(staff::remove_member::<P>)),
                )
                .service(
                    web::resource("/staff/{id}/setup-link")
                        .route(web::post().to(staff::reissue_setup::<P>)),
                )
                .service(web::resource("/audit").route(web::get().to(staff::audit::<P>)))
                .service(
                    web::resource("/settings")
                        .route(web::get().to(tenancy::get_settings::<P>))
                        .route(web::patch().to(tenancy::update_settings::<P>)),
                )
                .service(
                    web::resource("/menu")
                        .route(web::post().to(menu::create_menu_item::<P>))
                        .route(web::get().to(menu::list_menu_items::<P>)),
                )
                .service(
                    web::resource("/menu/{id}")
                        .route(web::get().to(menu::get_menu_item::<P>))
                        .route(web::patch().to(menu::update_menu_item::<P>))
                        .route(web::delete().to(menu::delete_menu_item::<P>)),
                )
                .service(
                    web::resource("/categories")
                        .route(web::post().to(menu::create_category::<P>))
                        .route(web::get().to(menu::list_categories::<P>)),
                )
                .service(
                    web::resource("/categories/{id}")
                        .route(web::patch().to(menu::update_category::<P>))
                        .route(web::delete().to(menu::delete_category::<P>)),
                )
                .service(
                    web::resource("/option-groups")
                        .route(web::post().to(menu::create_option_group::<P>))
                        .route(web::get().to(menu::list_option_groups::<P>)),
                )
                .service(
                    web::resource("/option-groups/{id}")
                        .route(web::get().to(menu::get_option_group::<P>))
                        .route(web::patch().to(menu::update_option_group::<P>))
                        .route(web::delete().to(menu::delete_option_group::<P>)),
                )
                .service(web::resource("/orders").route(web::get().to(ordering::list_orders::<P>)))
                .service(
                    web::resource("/orders/{id}/confirm")
                        .route(web::post().to(ordering::confirm_order::<P>)),
                )
                .service(
                    web::resource("/orders/{id}/status")
                        .route(web::post().to(ordering::change_order_status::<P>)),
                ),
        )
        .service(
            web::scope("/api/v1/store")
                .wrap(from_fn(store_tenant::<P, _>))
                .service(
                    web::resource("/config").route(web::get().to(tenancy::get_store_config::<P>)),
                )
                .service(web::resource("/menu").route(web::get().to(menu::list_store_menu::<P>)))
                .service(web::resource("/orders").route(web::post().to(ordering::place_order::<P>)))
                .service(
                    web::resource("/orders/{id}")
                        .wrap(from_fn(tracking_budget::<P, _>))
                        .route(web::get().to(ordering::track_order::<P>)),
                )
                .service(
                    web::resource("/slots")
                        .wrap(from_fn(slots_budget::<P, _>))
                        .route(web::get().to(ordering::store_slots::<P>)),
                ),
        )
        .default_service(web::to(no_route))
}

/// Manager and system answers carry keys, orders and tenants: no cache anywhere may keep them.
/// Outermost in its scope, so refusals made by the scope's own middleware get it too.
fn no_store() -> DefaultHeaders {
    DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store"))
}

async fn no_route(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        ProblemCode::NoRoute,
        format!("there is nothing at {} {}", req.method(), req.path()),
    ))
}

/// Error responses made by actix itself (405 for a known path with another method, 413 from a
/// payload limit, ...) have no body: give them a problem body like every other error.
fn bare_error_as_problem<B>(
    res: ServiceResponse<B>,
    body_limit: usize,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let (req, res) = res.into_parts();
    let status = res.status();
    let error = match status.as_u16() {
        404 => ApiError::new(
            ProblemCode::NoRoute,
            format!("there is nothing at {} {}", req.method(), req.path()),
        ),
        405 => ApiError::new(
            ProblemCode::MethodNotAllowed,
            format!("{} is not allowed on {}", req.method(), req.path()),
        ),
        413 => crate::error::too_large(body_limit),
        code if code >= 500 => ApiError::internal(anyhow::anyhow!("{status} without a body")),
        _ => ApiError::bad_request(
            status
                .canonical_reason()
                .unwrap_or("bad request")
                .to_lowercase(),
        ),
    };
    let mut response: HttpResponse = error.error_response();
    // Keep actix's own status (and its Allow header for a 405).
    *response.status_mut() = status;
    if let Some(allow) = res.headers().get(header::ALLOW) {
        response.headers_mut().insert(header::ALLOW, allow.clone());
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}

/// A bound, ready-to-run HTTP server.
///
/// On SIGTERM or SIGINT it shuts down gracefully: readiness answers 503 at once; after the
/// drain time the listener closes (nginx passes a request it cannot hand over to another
/// backend, since nothing of it was sent); requests in flight get the shutdown timeout to
/// finish; then [`Application::run_until_stopped`] returns and the caller closes its pools.
pub struct Application {
    server: Server,
    port: u16,
    draining: Arc<AtomicBool>,
    drain: Duration,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Binds `settings.host:settings.port` and prepares the server; nothing is served until
    /// [`Application::run_until_stopped`].
    pub fn build<P: Ports>(
        app_service: Chameleon<P>,
        readiness: ReadinessCheck,
        settings: &ServerSettings,
    ) -> std::io::Result<Application> {
        let listener = TcpListener::bind((settings.host.as_str(), settings.port))?;
        let port = listener.local_addr()?.port();
        let mut state = AppState::new(app_service, &settings.admin_token, readiness)
            .with_access(settings.access.clone())
            .with_acme_challenges(settings.acme_challenges.clone());
        if let Some(staff) = &settings.staff {
            state = state.with_staff(staff.clone());
        }
        if let Some(warm_up) = &settings.warm_up {
            state = state.with_worker_warm_up(warm_up.clone());
        }
        let draining = state.draining();
        let state = web::Data::new(state);
        let body_limit = settings.body_limit;
        let mut server = HttpServer::new(move || app(state.clone(), body_limit))
            .listen(listener)?
            // Signals are ours (see `run_until_stopped`): actix's own would close the listener
            // before readiness could say so.
            .disable_signals()
            .shutdown_timeout(settings.shutdown_timeout.as_secs().max(1));
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        Ok(Application {
            server: server.run(),
            port,
            draining,
            drain: settings.drain,
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT, then shuts down as the type's documentation says.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let (draining, drain) = (self.draining, self.drain);
        actix_web::rt::spawn(async move {
            let signal = shutdown_signal().await;
            draining.store(true, Ordering::Release);
            tracing::info!(signal, drain_ms = drain.as_millis() as u64, "shutting down");
            if !drain.is_zero() {
                actix_web::rt::time::sleep(drain).await;
            }
            handle.stop(true).await;
        });
        self.server.await
    }
}

/// The first of SIGTERM and SIGINT.
async fn shutdown_signal() -> &'static str {
    use actix_web::rt::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // No signal handling to be had: run until stopped otherwise.
        return std::future::pending().await;
    };
    first_of(term.recv(), int.recv()).await
}

/// Whichever of two signal streams fires first.
async fn first_of(
    term: impl std::future::Future<Output = Option<()>>,
    int: impl std::future::Future<Output = Option<()>>,
) -> &'static str {
    futures_util::pin_mut!(term, int);
    match futures_util::future::select(term, int).await {
        futures_util::future::Either::Left(_) => "SIGTERM",
        futures_util::future::Either::Right(_) => "SIGINT",
    }
}
