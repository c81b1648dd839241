@testable import CorralAPI
import CorralModel
import NIOHTTP1
import XCTest

final class StreamProtocolTests: XCTestCase {
    func testWebSocketAcceptValueFromRFC6455() {
        XCTAssertEqual(WebSocketHandshake.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    func testSubprotocolNegotiationPrefersClientOrder() throws {
        let supported = ChannelProtocol.supportedNames
        XCTAssertEqual(WebSocketHandshake.negotiate(requested: ["v5.channel.k8s.io", "v4.channel.k8s.io"], supported: supported), "v5.channel.k8s.io")
        XCTAssertEqual(WebSocketHandshake.negotiate(requested: ["v9.channel.k8s.io", "v4.channel.k8s.io"], supported: supported), "v4.channel.k8s.io")
        XCTAssertEqual(WebSocketHandshake.negotiate(requested: [], supported: supported), "")
        XCTAssertNil(WebSocketHandshake.negotiate(requested: ["chat"], supported: supported))
        var h = HTTPHeaders([("Upgrade", "websocket"), ("Connection", "keep-alive, Upgrade"), ("Sec-WebSocket-Version", "13"),
                             ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Protocol", "v4.channel.k8s.io, v5.channel.k8s.io")])
        XCTAssertTrue(WebSocketHandshake.isWebSocketRequest(h))
        let r = try WebSocketHandshake.responseHeaders(h, supported: supported)
        XCTAssertEqual(r.protocol, "v4.channel.k8s.io")
        XCTAssertTrue(r.headers.contains { $0 == ("Sec-WebSocket-Protocol", "v4.channel.k8s.io") })
        h.replaceOrAdd(name: "Sec-WebSocket-Version", value: "8")
        XCTAssertThrowsError(try WebSocketHandshake.responseHeaders(h, supported: supported))
    }

    func testChannelFramingBinaryAndBase64() throws {
        let v5 = try XCTUnwrap(ChannelProtocol(name: "v5.channel.k8s.io"))
        XCTAssertEqual(v5.encode(channel: 1, [104, 105]).bytes, [1, 104, 105])
        XCTAssertEqual(v5.decode([0, 65])?.channel, 0)
        XCTAssertNil(v5.decode([]))
        let b64 = try XCTUnwrap(ChannelProtocol(name: "v4.base64.channel.k8s.io"))
        let enc = b64.encode(channel: 2, Array("hi".utf8))
        XCTAssertTrue(enc.text)
        XCTAssertEqual(String(decoding: enc.bytes, as: UTF8.self), "2aGk=")
        XCTAssertEqual(b64.decode(Array("0aGk=".utf8))?.payload, Array("hi".utf8))
        XCTAssertNil(ChannelProtocol(name: "v6.channel.k8s.io"))
        XCTAssertEqual(ChannelProtocol(name: "")?.version, 1)
    }

    func testErrorChannelStatusLikeKubelet() throws {
        let v4 = try XCTUnwrap(ChannelProtocol(name: "v4.channel.k8s.io"))
        let ok = try JSONParser.parse(try XCTUnwrap(v4.errorChannelPayload(.success)))
        XCTAssertEqual(ok["status"]?.stringValue, "Success")
        let fail = try JSONParser.parse(try XCTUnwrap(v4.errorChannelPayload(.exec(.exited(3), command: ["sh", "-c", "exit 3"]))))
        XCTAssertEqual(fail["reason"]?.stringValue, "NonZeroExitCode")
        XCTAssertEqual(fail[path: ["details", "causes"]]?.arrayValue?.first?["reason"]?.stringValue, "ExitCode")
        XCTAssertEqual(fail[path: ["details", "causes"]]?.arrayValue?.first?["message"]?.stringValue, "3")
        let v2 = try XCTUnwrap(ChannelProtocol(name: "v2.channel.k8s.io"))
        XCTAssertNil(v2.errorChannelPayload(.success))
        XCTAssertEqual(v2.errorChannelPayload(.attach(.failed("gone"))).map { String(decoding: $0, as: UTF8.self) },
                       "Internal error occurred: error attaching to container: gone")
        XCTAssertEqual(RemoteCommandOutcome.attach(.exited(9)), .success)
    }

    func testResizeDecoderHandlesSplitAndJoinedMessages() {
        var d = ResizeDecoder()
        XCTAssertEqual(d.feed(Array("{\"Width\":80,".utf8)), [])
        XCTAssertEqual(d.feed(Array("\"Height\":24}\n{\"Width\":100,\"Height\":30}".utf8)),
                       [TerminalSize(width: 80, height: 24), TerminalSize(width: 100, height: 30)])
        XCTAssertEqual(d.feed(Array("{\"Width\":-1,\"Height\":2}{bad}".utf8)), [])
        XCTAssertEqual(d.feed(Array("{\"Width\":1,\"Height\":2}".utf8)), [TerminalSize(width: 1, height: 2)])
    }

    func testContainerResolutionWording() throws {
        let pod: JSONValue = ["metadata": ["name": "p"], "spec": [
            "initContainers": [["name": "init"]], "containers": [["name": "a"], ["name": "b"]]]]
        XCTAssertThrowsError(try StreamRequests.resolveContainer(nil, pod: pod)) { e in
            XCTAssertEqual((e as? APIError)?.message, "a container name must be specified for pod p, choose one of: [init a b]")
        }
        XCTAssertThrowsError(try StreamRequests.resolveContainer("c", pod: pod)) { e in
            XCTAssertEqual((e as? APIError)?.message, "container c is not valid for pod p")
        }
        XCTAssertEqual(try StreamRequests.resolveContainer("init", pod: pod), "init")
        let single: JSONValue = ["metadata": ["name": "s"], "spec": ["containers": [["name": "only"]]]]
        XCTAssertEqual(try StreamRequests.resolveContainer("", pod: single), "only")
        XCTAssertEqual(try StreamRequests.ports(["ports": ["80,8080"], "port": ["9"]]), [80, 8080, 9])
        XCTAssertThrowsError(try StreamRequests.ports(["ports": ["0"]]))
        XCTAssertThrowsError(try StreamRequests.stdio(["tty": ["true"], "stderr": ["true"]]))  // stderr dropped with tty: nothing left
    }
}
