// Package callback is roomhook's domain core: it turns a neutral HTTP-like Request carrying one
// Tencent Cloud Room callback into a Response carrying Tencent's acknowledgement packet.
//
// It checks the query string (SdkAppid, Sign/RequestTime, CallbackCommand, contenttype), parses
// the callback body leniently where Tencent's own samples are sloppy and strictly where a value
// cannot be right, hands the event to a Store, and answers. It knows nothing of SCF or Lambda:
// the adapters under functions/ translate platform events into a Request and back, and this
// package imports only the standard library.
package callback
