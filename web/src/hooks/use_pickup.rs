//! `use_pickup`: the pickup choice at checkout, and the slots it offers.

use yew::prelude::*;

use crate::api;
use crate::pickup::{Pickup, PickupAction};

/// The pickup choice (see [`crate::pickup`]). While `open` (the checkout is on screen and the
/// restaurant takes orders), `/api/v1/store/slots` is read for the day shown: when the checkout
/// opens, when the customer picks another day, and after a refusal about the pickup time. It is
/// rate-limited, so it is never read on a timer.
#[hook]
pub fn use_pickup(open: bool, days_ahead: i64) -> UseReducerHandle<Pickup> {
    let pickup = use_reducer(|| Pickup::new(days_ahead));
    {
        let dispatcher = pickup.dispatcher();
        use_effect_with(
            (open, pickup.day.clone(), pickup.reads),
            move |(open, day, _)| {
                if *open {
                    let day = day.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        dispatcher.dispatch(match api::store_slots(day.as_deref()).await {
                            Ok(slots) => PickupAction::Loaded(slots),
                            Err(err) => PickupAction::Failed(err.to_string()),
                        });
                    });
                }
            },
        );
    }
    pickup
}
