import NIOCore
import Synchronization
import Testing

@testable import GatewayService

@Suite("Rendered answers")
struct RenderedAnswersTests {
    @Test("the same answer bytes reuse the body; changed bytes render again; keys never share a body")
    func reuse() throws {
        let answers = RenderedAnswers()
        let renders = Mutex(0)
        func render(_ answer: ByteBuffer) -> ByteBuffer {
            renders.withLock { $0 += 1 }
            return ByteBuffer(string: "{\"v\":\"\(String(buffer: answer))\"}")
        }
        #expect(
            answers.body(for: "u1", answer: ByteBuffer(string: "a"), render: render)
                == ByteBuffer(string: #"{"v":"a"}"#))
        #expect(
            answers.body(for: "u1", answer: ByteBuffer(string: "a"), render: render)
                == ByteBuffer(string: #"{"v":"a"}"#))
        #expect(renders.withLock { $0 } == 1)
        #expect(
            answers.body(for: "u1", answer: ByteBuffer(string: "b"), render: render)
                == ByteBuffer(string: #"{"v":"b"}"#))
        #expect(renders.withLock { $0 } == 2)
        // Another key with bytes never seen under it renders its own body.
        #expect(
            answers.body(for: "u2", answer: ByteBuffer(string: "a"), render: render)
                == ByteBuffer(string: #"{"v":"a"}"#))
        #expect(renders.withLock { $0 } == 3)
        // A slice of a larger buffer compares by its bytes, and what is kept is a copy.
        var received = ByteBuffer(string: "xxb")
        received.moveReaderIndex(forwardBy: 2)
        #expect(answers.body(for: "u1", answer: received, render: render) == ByteBuffer(string: #"{"v":"b"}"#))
        #expect(renders.withLock { $0 } == 3)
        // A render that fails keeps nothing.
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            _ = try answers.body(for: "u3", answer: ByteBuffer(string: "c")) { _ in throw Refused() }
        }
        #expect(answers.count == 2)
    }

    @Test("at most `capacity` keys are kept")
    func bounded() {
        let answers = RenderedAnswers(capacity: 3)
        for index in 0..<10 {
            _ = answers.body(for: "u\(index)", answer: ByteBuffer(string: "\(index)")) { $0 }
        }
        #expect(answers.count <= 3)
        #expect(answers.count >= 1)
    }
}
