import NIOCore
import Synchronization

/// The JSON the gateway last made of a service's answer, per key, with the answer's bytes:
/// while the service answers the same bytes, the same JSON is sent again without decoding and
/// rendering the answer (`GET /me`: the profile identity answers from its cache).
///
/// The JSON is a function of the bytes alone and is reused only when they are equal, so the
/// key (the user) decides what is kept, never what is sent: nothing here can outlive or leak
/// an answer. At most ``capacity`` keys are kept (all are dropped past it).
final class RenderedAnswers: Sendable {
    private struct Entry {
        var answer: ByteBuffer
        var body: ByteBuffer
    }

    private let entries = Mutex<[String: Entry]>([:])
    /// Keys kept at most.
    let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// The body for `answer`: the one rendered last for `key` when its answer had the same
    /// bytes, else `render(answer)`, kept for next time.
    func body(
        for key: String, answer: ByteBuffer, render: (ByteBuffer) throws -> ByteBuffer
    ) rethrows -> ByteBuffer {
        if let kept = entries.withLock({ $0[key] }), kept.answer == answer { return kept.body }
        let body = try render(answer)
        // A copy: the answer is a slice of the connection's receive buffer, which keeping it
        // would stop NIO from reusing.
        let entry = Entry(answer: ByteBuffer(bytes: answer.readableBytesView), body: body)
        entries.withLock { entries in
            if entries.count >= capacity, entries[key] == nil { entries.removeAll(keepingCapacity: true) }
            entries[key] = entry
        }
        return body
    }

    /// How many keys are kept now.
    var count: Int { entries.withLock { $0.count } }
}
