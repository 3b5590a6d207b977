import NIOCore
import NIOHTTP1

/// Answers the requests of one connection, one at a time (the pipeline's
/// `HTTPServerPipelineHandler` holds back pipelined requests until a response ends), and
/// finishes the connection when the worker drains (``DrainConnectionEvent``).
///
/// A response goes out with `Connection: close`, and the connection closes once it is
/// written, when the client asked for it or the worker is draining. Requests the client
/// pipelined behind that response are not answered: a client that pipelines retries what a
/// closed connection left unanswered.
final class HTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let responder: HTTPResponder
    /// The request being read or answered: from its head until its response is written.
    private var request: HTTPRequestHead?
    private var isAnswering = false
    /// The worker asked this connection to finish.
    private var isDraining = false
    /// A closing response was written: nothing more is answered on this connection.
    private var isClosing = false
    /// Closes a draining connection that has no request by then.
    private var idleClose: Scheduled<Void>?

    init(responder: HTTPResponder) {
        self.responder = responder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isClosing else { return }
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            request = head
            isAnswering = true
            idleClose?.cancel()
            idleClose = nil
        case .body:
            break
        case .end:
            guard let request else { return }
            self.request = nil
            let response = responder.response(to: request)
            if let delay = response.delay {
                context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
                    self.send(response, to: request, context: context)
                }
            } else {
                send(response, to: request, context: context)
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let drain = event as? DrainConnectionEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        guard !isDraining, !isClosing else { return }
        isDraining = true
        // A request being read or answered gets `Connection: close` when it is sent.
        guard !isAnswering else { return }
        idleClose = context.eventLoop.assumeIsolated().scheduleTask(in: drain.idleGrace) {
            guard !self.isAnswering, !self.isClosing else { return }
            self.isClosing = true
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleClose?.cancel()
        idleClose = nil
        context.fireChannelInactive()
    }

    private func send(_ response: HTTPResponder.Response, to request: HTTPRequestHead, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        let body = context.channel.allocator.buffer(string: response.body)
        let closes = isDraining || !request.isKeepAlive
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(body.readableBytes)")
        headers.add(name: "X-Worker-Pid", value: "\(responder.pid)")
        if closes {
            headers.add(name: "Connection", value: "close")
        }
        let head = HTTPResponseHead(version: request.version, status: response.status, headers: headers)
        // Set before the end is written: writing it hands this handler the next pipelined
        // request at once, which a closing connection must not start to answer.
        isAnswering = false
        isClosing = closes
        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let written = context.writeAndFlush(Self.wrapOutboundOut(.end(nil)))
        if closes {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
