use yew::prelude::*;

use super::ErrorMessage;

#[derive(Properties, PartialEq)]
pub struct LoadFailureProps {
    pub message: AttrValue,
    pub on_retry: Callback<()>,
}

/// The restaurant could not be loaded at all (network, server error): say so, offer a retry.
#[function_component(LoadFailure)]
pub fn load_failure(props: &LoadFailureProps) -> Html {
    let retry = props.on_retry.reform(|_: MouseEvent| ());
    html! {
        <main class="grid min-h-screen place-items-center bg-stone-50 p-6">
            <div class="flex max-w-md flex-col items-center gap-4 text-center">
                <ErrorMessage message={props.message.clone()} />
                <button type="button" onclick={retry}
                        class="rounded-lg bg-stone-900 px-4 py-2 text-sm font-medium text-white focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-stone-900">
                    { "Try again" }
                </button>
            </div>
        </main>
    }
}
