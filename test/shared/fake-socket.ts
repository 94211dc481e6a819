/**
 * A stand-in for the browser's WebSocket, for clients driven by tests: it opens at once,
 * records every socket opened (`FakeSocket.opened`, cleared by the test), and lets the
 * test send frames and end the connection as the server or the network would.
 */
export class FakeSocket extends EventTarget {
	static opened: FakeSocket[] = [];
	readyState = 0;
	binaryType = "blob";
	readonly url: string;

	constructor(url: string) {
		super();
		this.url = url;
		FakeSocket.opened.push(this);
		queueMicrotask(() => {
			this.readyState = 1;
			this.dispatchEvent(new Event("open"));
		});
	}

	/** The server sends a JSON frame. */
	frame(frame: unknown): void {
		this.dispatchEvent(new MessageEvent("message", { data: JSON.stringify(frame) }));
	}

	/** The server or the network ends the connection (1006: dropped without a close frame). */
	drop(code = 1006, reason = ""): void {
		this.readyState = 3;
		this.dispatchEvent(new CloseEvent("close", { code, reason }));
	}

	send(): void {}

	close(): void {
		this.readyState = 3;
		this.dispatchEvent(new CloseEvent("close", { code: 1000 }));
	}
}
