use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ErrorMessageProps {
    pub message: AttrValue,
}

/// A failure the customer should read: announced by screen readers as it appears.
#[function_component(ErrorMessage)]
pub fn error_message(props: &ErrorMessageProps) -> Html {
    html! {
        <p data-testid="error" role="alert"
           class="rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
            { props.message.clone() }
        </p>
    }
}
