use connscope_core::{Level, Message};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub messages: Vec<Message>,
}

#[function_component(Messages)]
pub fn messages(p: &Props) -> Html {
    if p.messages.is_empty() {
        return html! {};
    }
    html! {
        <section class="messages" aria-label="Messages about this run">
            <ul>
            { for p.messages.iter().map(|m| {
                let class = match m.level { Level::Info => "info", Level::Warning => "warning", Level::Error => "error" };
                let role = if m.level == Level::Error { "alert" } else { "status" };
                html! { <li class={classes!("message", class)} role={role}>{ &m.text }</li> }
            }) }
            </ul>
        </section>
    }
}
