use yew::prelude::*;

/// What a suspended restaurant's storefront shows: closed for now, in neutral colours (the
/// service does not hand out a suspended restaurant's brand).
#[function_component(Closed)]
pub fn closed() -> Html {
    html! {
        <main data-testid="closed" class="grid min-h-screen place-items-center bg-stone-50 p-6">
            <div class="max-w-md text-center">
                <svg class="mx-auto h-14 w-14 text-stone-400" viewBox="0 0 24 24" fill="none" stroke="currentColor"
                     stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
                    <circle cx="12" cy="12" r="9" />
                    <path d="M12 7v5l3 2" />
                </svg>
                <h1 class="mt-4 text-2xl font-semibold text-stone-900">{ "Temporarily closed" }</h1>
                <p data-testid="error" role="status" class="mt-2 text-stone-600">
                    { "This restaurant is temporarily closed and is not taking orders right now. Please come back later." }
                </p>
            </div>
        </main>
    }
}
