import NIOCore
import NIOHTTP1

/// Answers the requests of one connection, one at a time (the pipeline's
/// `HTTPServerPipelineHandler` holds back pipelined requests until a response ends, and
/// closes the connection after it once the worker drains).
final class HTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let responder: HTTPResponder
    private var request: HTTPRequestHead?

    init(responder: HTTPResponder) {
        self.responder = responder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            request = head
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

    private func send(_ response: HTTPResponder.Response, to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let body = context.channel.allocator.buffer(string: response.body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(body.readableBytes)")
        headers.add(name: "X-Worker-Pid", value: "\(responder.pid)")
        if !request.isKeepAlive {
            headers.add(name: "Connection", value: "close")
        }
        let head = HTTPResponseHead(version: request.version, status: response.status, headers: headers)
        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let written = context.writeAndFlush(Self.wrapOutboundOut(.end(nil)))
        if !request.isKeepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
