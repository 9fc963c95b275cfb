//! The phase legend and the explainer it links to.

use connscope_core::Phase;
use yew::prelude::*;

#[function_component(Legend)]
pub fn legend() -> Html {
    html! {
        <ul class="legend" aria-label="Phase colours">
            { for Phase::ALL.iter().map(|p| html! {
                <li><span class={classes!("swatch", format!("ph-{}", p.key()))} aria-hidden="true"></span>
                    <a href={format!("#explain-{}", p.key())} title={p.explanation()}>{ p.label() }</a></li>
            }) }
            <li><span class="swatch hidden-detail" aria-hidden="true"></span><a href="#explain-hidden">{"Hidden by the browser"}</a></li>
            <li class="marks"><span class="mark new">{"●"}</span>{" new  "}<span class="mark reused">{"↺"}</span>{" reused  "}<span class="mark unknown">{"?"}</span>{" unknown"}</li>
        </ul>
    }
}

#[function_component(Explainer)]
pub fn explainer() -> Html {
    html! {
        <section class="explainer" aria-labelledby="explain-h">
            <h2 id="explain-h">{"What you are looking at"}</h2>
            <details open=true>
                <summary>{"The phases of a request"}</summary>
                <dl>
                    { for Phase::ALL.iter().map(|p| html! {
                        <>
                            <dt id={format!("explain-{}", p.key())}><span class={classes!("swatch", format!("ph-{}", p.key()))} aria-hidden="true"></span>{ p.label() }</dt>
                            <dd>{ p.explanation() }</dd>
                        </>
                    }) }
                </dl>
            </details>
            <details>
                <summary>{"Persistent connections: why reuse saves time"}</summary>
                <p>{"Before a browser can send a request it needs a connection to the server. A new TCP connection costs one round trip (SYN, SYN-ACK) before the first byte of the request can go out; HTTPS adds a TLS handshake of one more round trip (TLS 1.3) or two (TLS 1.2). On a phone network a round trip can take 50–300 ms."}</p>
                <p>{"A persistent (keep-alive) connection stays open after a response, so the next request to the same origin skips all of that and goes out at once. In this waterfall, reused requests (↺) have no DNS, TCP or TLS segment."}</p>
            </details>
            <details>
                <summary>{"HTTP/1.0, HTTP/1.1 and HTTP/2"}</summary>
                <p>{"HTTP/1.0 closed the connection after every response (Connection: close): every request paid for a new handshake. HTTP/1.1 keeps connections open by default, but each carries one request at a time, so browsers open up to 6 per origin and queue the rest (the grey queueing segment)."}</p>
                <p>{"HTTP/2 multiplexes: one connection carries every request to an origin at the same time. Only the first request pays for the handshake, and nothing waits for a free connection."}</p>
            </details>
            <details>
                <summary id="explain-hidden">{"Why some timings are hidden"}</summary>
                <p>{"Resource Timing protects other sites: for a response from another origin that does not send Timing-Allow-Origin, the browser reports only when the request started and ended. DNS, connect, TLS and waiting read as zero — which does NOT mean the connection was reused. connscope marks these requests unknown (?) and says why."}</p>
                <p>{"Connections have no id in the API either. Where the testbed is the server, it reports in Server-Timing which connection carried each request; connscope shows that truth beside what it inferred from timing. A HAR saved by Chrome's or WebKit's DevTools carries the browser's own connection ids, which connscope reads the same way; Firefox's does not."}</p>
            </details>
        </section>
    }
}
