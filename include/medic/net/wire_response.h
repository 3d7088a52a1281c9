#pragma once

#include "medic/net/request.h"
#include "medic/net/response.h"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace medic::net {

using WireResponse = boost::beast::http::response<boost::beast::http::string_body>;

// What goes on the wire for a handler's Response: the status line, the handler's headers but
// never its framing (Content-Length, Transfer-Encoding and Connection are the server's), gzip
// when the client accepts it and the body is worth it, HEAD without the body but with its
// length, and Connection as the client and the server agreed.
WireResponse ToWire(const Request& request, Response response, bool keep_alive);

// A response medic makes itself when it refuses a request ("413 payload too large"); the
// connection closes after it.
WireResponse RefusalResponse(int status, bool http10);

}  // namespace medic::net
