use chameleon_wire::{StoreMenuItem, StoreOptionGroup};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement};
use yew::prelude::*;

use crate::cart::{CartAction, MAX_QTY};
use crate::money::Pricing;
use crate::options::{self, Choice};

#[derive(Properties, PartialEq)]
pub struct OptionDialogProps {
    pub item: StoreMenuItem,
    /// The groups the dish asks, in its order.
    pub groups: Vec<StoreOptionGroup>,
    /// "Add to order": the dish with the chosen options and quantity.
    pub on_add: Callback<CartAction>,
    /// Esc, the close button or a click beside the dialog.
    pub on_close: Callback<()>,
}

const TITLE_ID: &str = "option-dialog-title";
const REASON_ID: &str = "option-dialog-reason";
/// What Tab can reach inside the dialog.
const FOCUSABLE: &str = "button:not([disabled]), input:not([disabled]), [href], select, textarea, [tabindex]:not([tabindex='-1'])";

/// A dish's options, asked in a modal dialog: a fieldset per group with its rule in the
/// legend, radio buttons for a single choice and checkboxes for several, the live price, and
/// "Add to order", disabled (saying why) until every group has its minimum.
///
/// Focus moves into the dialog when it opens and stays there: Tab and Shift+Tab wrap at its
/// ends (the page behind is `inert` while it is open); Esc closes it. The storefront returns
/// focus to the button that opened it.
#[function_component(OptionDialog)]
pub fn option_dialog(props: &OptionDialogProps) -> Html {
    let pricing = use_context::<Pricing>().unwrap_or_default();
    let choice = use_state(Choice::default);
    let qty = use_state(|| 1u8);
    let panel = use_node_ref();

    {
        // Focus the first choice (or the first control) once the dialog is in the page.
        let panel = panel.clone();
        use_effect_with((), move |_| {
            if let Some(panel) = panel.cast::<Element>() {
                let first = panel
                    .query_selector("input:not([disabled])")
                    .ok()
                    .flatten()
                    .or_else(|| panel.query_selector(FOCUSABLE).ok().flatten());
                if let Some(first) = first.and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
                    let _ = first.focus();
                }
            }
        });
    }

    let groups: Vec<&StoreOptionGroup> = props.groups.iter().collect();
    let chosen = choice.options(&groups);
    let missing = choice.missing(&groups);
    let price = options::unit_price(&props.item, &chosen)
        .and_then(|unit| unit.checked_mul(i64::from(*qty)));

    let on_keydown = {
        let (panel, on_close) = (panel.clone(), props.on_close.clone());
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "Escape" => {
                e.prevent_default();
                e.stop_propagation();
                on_close.emit(());
            }
            "Tab" => {
                if let Some(panel) = panel.cast::<Element>() {
                    keep_focus_inside(&panel, &e);
                }
            }
            _ => {}
        })
    };
    let on_backdrop = {
        let on_close = props.on_close.clone();
        Callback::from(move |e: MouseEvent| {
            if e.target() == e.current_target() {
                on_close.emit(());
            }
        })
    };
    let close = props.on_close.reform(|_: MouseEvent| ());
    let on_submit = {
        let (on_add, item) = (props.on_add.clone(), props.item.clone());
        let options: Vec<_> = chosen.iter().map(|o| (*o).clone()).collect();
        let (ready, qty) = (missing.is_none(), *qty);
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if ready {
                on_add.emit(CartAction::Add {
                    item: item.clone(),
                    options: options.clone(),
                    qty,
                });
            }
        })
    };
    let step = |by: i8| {
        let qty = qty.clone();
        Callback::from(move |_: MouseEvent| {
            qty.set(qty.saturating_add_signed(by).clamp(1, MAX_QTY));
        })
    };

    let fieldsets = props.groups.iter().map(|group| {
        let single = options::is_single(group);
        let full = choice.count_in(group) >= options::max(group);
        let input_name = format!("group-{}", group.id);
        // An optional single choice needs a way back to nothing: a "None" radio button.
        let none = (single && options::min(group) == 0).then(|| {
            let id = format!("none-{}", group.id);
            let checked = choice.count_in(group) == 0;
            let on_change = {
                let (choice, group) = (choice.clone(), group.clone());
                Callback::from(move |_: Event| choice.set(choice.cleared(&group)))
            };
            html! {
                <li>
                    <label for={id.clone()} class={row_class(false)}>
                        <input type="radio" id={id} name={input_name.clone()} data-testid="option-none"
                               {checked} onchange={on_change}
                               class="h-4 w-4 accent-primary" />
                        <span class="flex-1">{ "None" }</span>
                    </label>
                </li>
            }
        });
        html! {
            <fieldset key={group.id.to_string()}>
                <legend class="text-base font-semibold text-stone-900">{ options::legend(group) }</legend>
                <ul class="mt-2 space-y-2">
                    { for none }
                    { for group.options.iter().map(|option| {
                        let checked = choice.has(option.id);
                        let disabled = !option.available || (!single && full && !checked);
                        let on_change = {
                            let (choice, group, option) = (choice.clone(), group.clone(), option.clone());
                            Callback::from(move |e: Event| {
                                let on = e.target_unchecked_into::<HtmlInputElement>().checked();
                                choice.set(choice.ticked(&group, &option, on));
                            })
                        };
                        let id = format!("option-{}", option.id);
                        let note = if !option.available {
                            html! { <span class="text-xs font-semibold uppercase tracking-wide text-stone-600">{ "sold out" }</span> }
                        } else if option.price_delta != 0 {
                            html! { <span class="tabular-nums text-stone-600">{ pricing.format_delta(option.price_delta) }</span> }
                        } else {
                            html! {}
                        };
                        html! {
                            <li key={option.id.to_string()}>
                                <label for={id.clone()} class={row_class(disabled)}>
                                    <input type={if single { "radio" } else { "checkbox" }} id={id}
                                           name={input_name.clone()} value={option.id.to_string()}
                                           data-testid="option" {checked} {disabled} onchange={on_change}
                                           class="h-4 w-4 accent-primary" />
                                    <span class="flex-1">{ &option.name }</span>
                                    // A space, so the name and the price read as two words.
                                    { " " }
                                    { note }
                                </label>
                            </li>
                        }
                    }) }
                </ul>
            </fieldset>
        }
    });

    html! {
        <div class="fixed inset-0 z-50 flex items-end justify-center bg-stone-900/60 sm:items-center sm:p-4"
             onclick={on_backdrop}>
            <div ref={panel} role="dialog" aria-modal="true" aria-labelledby={TITLE_ID}
                 data-testid="option-dialog" tabindex="-1" onkeydown={on_keydown}
                 class="flex max-h-[90vh] w-full max-w-lg flex-col rounded-t-2xl bg-white text-stone-900 shadow-xl outline-none sm:rounded-2xl">
                <form class="flex min-h-0 flex-1 flex-col" onsubmit={on_submit} novalidate=true>
                    <div class="flex items-start justify-between gap-4 border-b border-stone-200 px-5 py-4">
                        <div class="min-w-0">
                            <h2 id={TITLE_ID} class="text-xl font-semibold">{ &props.item.name }</h2>
                            <p class="mt-0.5 text-sm text-stone-600">{ pricing.format(props.item.price) }</p>
                        </div>
                        <button type="button" onclick={close} aria-label="Close"
                                class="-mr-2 rounded-md p-2 text-stone-600 hover:bg-stone-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-primary">
                            <svg class="h-5 w-5" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"
                                 stroke-linecap="round" aria-hidden="true">
                                <path d="M6 6l12 12M18 6 6 18" />
                            </svg>
                        </button>
                    </div>
                    <div class="min-h-0 flex-1 space-y-5 overflow-y-auto overscroll-contain px-5 py-4">
                        { for fieldsets }
                    </div>
                    <div class="border-t border-stone-200 px-5 py-4">
                        <div class="flex items-center justify-between gap-4">
                            <div class="flex items-center gap-1" role="group" aria-label="Quantity">
                                <button type="button" onclick={step(-1)} disabled={*qty <= 1} aria-label="One less"
                                        class={STEP_CLASS}>{ "−" }</button>
                                <span data-testid="dialog-qty" aria-live="polite" class="w-8 text-center tabular-nums">{ *qty }</span>
                                <button type="button" onclick={step(1)} disabled={*qty >= MAX_QTY} aria-label="One more"
                                        class={STEP_CLASS}>{ "+" }</button>
                            </div>
                            <p class="text-right">
                                <span class="sr-only">{ "Price: " }</span>
                                <span data-testid="dialog-price" aria-live="polite" class="text-xl font-bold tabular-nums">
                                    { price.map(|p| pricing.format(p)).unwrap_or_default() }
                                </span>
                            </p>
                        </div>
                        if let Some(reason) = &missing {
                            <p id={REASON_ID} data-testid="dialog-reason" class="mt-3 text-sm font-medium text-stone-700">{ reason }</p>
                        }
                        <button type="submit" data-testid="dialog-add" disabled={missing.is_some()}
                                aria-describedby={missing.is_some().then_some(REASON_ID)}
                                class="mt-3 w-full rounded-lg bg-primary px-4 py-3 text-base font-semibold text-on-primary shadow-sm hover:opacity-90 disabled:cursor-not-allowed disabled:bg-stone-300 disabled:text-stone-700 disabled:shadow-none focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-primary">
                            { "Add to order" }
                        </button>
                    </div>
                </form>
            </div>
        </div>
    }
}

const STEP_CLASS: &str = "h-9 w-9 rounded-md border border-stone-300 text-stone-700 hover:bg-stone-100 disabled:opacity-40 focus-visible:outline focus-visible:outline-2 focus-visible:outline-primary";

fn row_class(disabled: bool) -> Classes {
    classes!(
        "flex",
        "items-center",
        "gap-3",
        "rounded-lg",
        "border",
        "border-stone-200",
        "px-3",
        "py-2.5",
        "has-[:checked]:border-primary",
        "has-[:focus-visible]:outline",
        "has-[:focus-visible]:outline-2",
        "has-[:focus-visible]:outline-primary",
        if disabled {
            "cursor-not-allowed bg-stone-50 text-stone-600"
        } else {
            "cursor-pointer hover:bg-stone-50"
        }
    )
}

/// Tab on the dialog's last control goes to its first, Shift+Tab on its first to its last:
/// focus never leaves for the page behind.
fn keep_focus_inside(panel: &Element, e: &KeyboardEvent) {
    let Ok(found) = panel.query_selector_all(FOCUSABLE) else {
        return;
    };
    let controls: Vec<HtmlElement> = (0..found.length())
        .filter_map(|i| found.item(i))
        .filter_map(|node| node.dyn_into::<HtmlElement>().ok())
        .collect();
    let (Some(first), Some(last)) = (controls.first(), controls.last()) else {
        return;
    };
    let active = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element());
    let at = |control: &HtmlElement| active.as_ref() == Some(control.unchecked_ref::<Element>());
    let outside = !active
        .as_ref()
        .is_some_and(|a| panel.contains(Some(a.unchecked_ref())));
    let to = if e.shift_key() && (at(first) || outside || active.as_ref() == Some(panel)) {
        last
    } else if !e.shift_key() && (at(last) || outside) {
        first
    } else {
        return;
    };
    e.prevent_default();
    let _ = to.focus();
}
