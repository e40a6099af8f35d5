use yew::prelude::*;

/// What an unknown domain shows: a friendly dead end, in neutral colours.
#[function_component(NoRestaurant)]
pub fn no_restaurant() -> Html {
    let host = web_sys::window()
        .and_then(|w| w.location().host().ok())
        .unwrap_or_default();
    html! {
        <main data-testid="no-restaurant" class="grid min-h-screen place-items-center bg-stone-50 p-6">
            <div class="max-w-md text-center">
                <svg class="mx-auto h-14 w-14 text-stone-400" viewBox="0 0 24 24" fill="none" stroke="currentColor"
                     stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
                    <path d="M3 9h18l-1.5-5h-15z" />
                    <path d="M5 9v11h14V9" />
                    <path d="M10 20v-5h4v5" />
                    <path d="M2 2l20 20" />
                </svg>
                <h1 class="mt-4 text-2xl font-semibold text-stone-900">{ "No restaurant here" }</h1>
                <p data-testid="error" role="alert" class="mt-2 text-stone-600">
                    { format!("There is no restaurant at {host}. Check the address, or ask the restaurant for its link.") }
                </p>
            </div>
        </main>
    }
}
