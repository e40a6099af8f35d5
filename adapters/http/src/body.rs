//! [`JsonObject`]: a JSON request body that must be an object.
//!
//! serde's derived `Deserialize` for a struct also takes a JSON array (`[null, null]` fills the
//! fields in order), which no client of this API means and its schema does not allow. This
//! extractor reads the body as JSON (within the app's `JsonConfig`: size limit, content type,
//! problem responses), refuses anything but an object, then builds the body from the object.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A request body read from a JSON object.
#[derive(Debug)]
pub struct JsonObject<T>(pub T);

impl<T> Deref for JsonObject<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonObject<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let value = json.await?.into_inner();
            if !value.is_object() {
                return Err(ApiError::invalid("the request body must be a JSON object").into());
            }
            serde_json::from_value(value)
                .map(JsonObject)
                .map_err(|err| {
                    ApiError::invalid(format!("the request body is not valid: {err}")).into()
                })
        })
    }
}
