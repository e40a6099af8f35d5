use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::hours::Clock;
use crate::pickup::{Pickup, PickupAction, Slots, upcoming_days};

/// A scheduled pickup: the day (today to the last one that can be scheduled) and that day's
/// times as a grid of radio buttons, one per slot in order, the full and too-soon ones shown
/// but disabled. Arrow keys move between times, as in any radio group.
///
/// A function of [`super::PickupChoice`]'s, not a component of its own: it has no state, and
/// every component costs the storefront's download.
pub fn pickup_slots(pickup: &Pickup, on: &Callback<PickupAction>, clock: &Clock) -> Html {
    let shown = pickup.shown_day();
    let days = pickup
        .today
        .as_deref()
        .map(|today| upcoming_days(today, pickup.days_ahead))
        .unwrap_or_default();
    let on_day = on.reform(|e: Event| {
        PickupAction::Day(e.target_unchecked_into::<HtmlSelectElement>().value())
    });
    let times = match &pickup.slots {
        Slots::Loading => {
            html! { <p class="text-sm text-stone-600" aria-busy="true">{ "Loading pickup times…" }</p> }
        }
        Slots::Failed(message) => html! {
            <p data-testid="pickup-error" role="alert" class="text-sm text-red-800">
                { "Pickup times could not be loaded. " }{ message }
            </p>
        },
        Slots::Ready(slots) if slots.is_empty() => {
            html! { <p data-testid="no-slots" class="text-sm text-stone-600">{ "No pickup times on this day." }</p> }
        }
        Slots::Ready(slots) => html! {
            <fieldset>
                <legend class="sr-only">{ "Time" }</legend>
                <div class="grid grid-cols-3 gap-2 sm:grid-cols-4 lg:grid-cols-3">
                    { for slots.iter().map(|slot| {
                        let start = slot.start.clone();
                        let on_change = on.reform(move |_: Event| PickupAction::Slot(start.clone()));
                        html! {
                            <label key={slot.start.clone()} class="relative">
                                // Invisible but over the whole tile: a click anywhere on it
                                // chooses, and the tile shows its focus and state.
                                <input type="radio" name="pickup-slot" data-testid="pickup-slot"
                                       value={slot.start.clone()} disabled={!slot.available}
                                       checked={pickup.chosen.as_ref() == Some(&slot.start)} onchange={on_change}
                                       class="peer absolute inset-0 h-full w-full cursor-pointer opacity-0 disabled:cursor-not-allowed" />
                                <span class="flex h-full flex-col justify-center rounded-lg border border-stone-300 bg-white px-1 py-2 text-center text-sm tabular-nums text-stone-800 peer-checked:border-primary peer-checked:bg-primary peer-checked:text-on-primary peer-focus-visible:outline peer-focus-visible:outline-2 peer-focus-visible:outline-offset-2 peer-focus-visible:outline-primary peer-disabled:border-dashed peer-disabled:text-stone-500">
                                    { clock.time(&slot.start) }
                                    if slot.remaining == Some(0) {
                                        <span class="block text-xs">{ " full" }</span>
                                    }
                                </span>
                            </label>
                        }
                    }) }
                </div>
            </fieldset>
        },
    };
    html! {
        <div class="flex flex-col gap-3 pl-6">
            if !days.is_empty() {
                <div class="flex flex-col gap-1">
                    <label for="pickup-day" class="text-sm font-medium text-stone-700">{ "Day" }</label>
                    <select id="pickup-day" data-testid="pickup-day" onchange={on_day}
                            class="rounded-lg border border-stone-300 bg-white px-3 py-2 text-stone-900 focus-visible:outline focus-visible:outline-2 focus-visible:outline-primary">
                        { for days.iter().enumerate().map(|(n, day)| html! {
                            <option value={day.clone()} selected={shown == Some(day.as_str())}>
                                { clock.day_label(day, n) }
                            </option>
                        }) }
                    </select>
                </div>
            }
            { times }
        </div>
    }
}
