use yew::prelude::*;

use super::pickup_slots;
use crate::hours::Clock;
use crate::pickup::{Pickup, PickupAction};

#[derive(Properties, PartialEq)]
pub struct PickupChoiceProps {
    pub pickup: Pickup,
    /// Minutes the kitchen adds to every order while busy (0: not busy).
    pub busy_minutes: i64,
    pub on: Callback<PickupAction>,
}

/// When to pick the order up, a group of two radio buttons: "As soon as possible" with the
/// time it would be ready (disabled when the restaurant takes no such order now), and
/// "Schedule", which shows the day and its times (absent when nothing can be scheduled).
#[function_component(PickupChoice)]
pub fn pickup_choice(props: &PickupChoiceProps) -> Html {
    let clock = use_context::<Clock>().unwrap_or_default();
    let pickup = &props.pickup;
    let asap_open = pickup.asap.as_ref().is_none_or(|asap| asap.available);
    let asap_when = match &pickup.asap {
        Some(asap) if !asap.available => " (not available now)".to_owned(),
        Some(asap) => asap
            .ready_at
            .as_deref()
            .map(|at| format!(" (ready about {})", clock.time(at)))
            .unwrap_or_default(),
        None => String::new(),
    };
    html! {
        <fieldset data-testid="pickup-choice" class="flex flex-col gap-2">
            <legend class="mb-1 text-sm font-medium text-stone-700">{ "Pickup time" }</legend>
            <label class={ROW}>
                <input type="radio" name="pickup" data-testid="pickup-asap" checked={!pickup.scheduled}
                       disabled={!asap_open} onchange={props.on.reform(|_: Event| PickupAction::Asap)}
                       class="h-4 w-4 accent-primary" />
                { "As soon as possible" }{ asap_when }
            </label>
            if pickup.days_ahead > 0 {
                <label class={ROW}>
                    <input type="radio" name="pickup" data-testid="pickup-schedule" checked={pickup.scheduled}
                           onchange={props.on.reform(|_: Event| PickupAction::Schedule)}
                           class="h-4 w-4 accent-primary" />
                    { "Schedule" }
                </label>
            }
            if props.busy_minutes > 0 {
                <p data-testid="busy" class="text-xs text-stone-600">
                    { format!("Busy: orders take about {} minutes longer.", props.busy_minutes) }
                </p>
            }
            if pickup.scheduled {
                { pickup_slots(pickup, &props.on, &clock) }
            }
        </fieldset>
    }
}

const ROW: &str =
    "flex items-center gap-2 text-sm text-stone-800 has-[:disabled]:cursor-not-allowed";
