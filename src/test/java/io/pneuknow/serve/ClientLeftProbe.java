package io.pneuknow.serve;

import io.javalin.Javalin;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;

/**
 * Not a test: whether the HTTP layer (Javalin 6 on Jetty 11) lets a handler see that its client left while the
 * request is being handled (issue 19: stop work "when its client left"). A handler that has read its body watches its
 * connection for 3 s (Jetty's end point: open, input shut, output shut; the channel state) while the client, 500 ms
 * after sending a whole request, closes its socket ({@code close}: FIN) or resets it ({@code rst}: SO_LINGER 0).
 * Run: {@code java -cp ... io.pneuknow.serve.ClientLeftProbe}. On Jetty 11.0.25 nothing changes in either case until
 * the handler writes its answer: Jetty does not read a connection while its request is being handled, so a client
 * that left is seen only by a write (and a FIN alone would not prove it: an HTTP/1.1 client may half-close and still
 * read the answer).
 */
public final class ClientLeftProbe {
    private ClientLeftProbe() {
    }

    public static void main(String[] args) throws Exception {
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        Javalin app = Javalin.create(config -> config.showJavalinBanner = false).post("/x", ctx -> {
            ctx.body();
            Request base = Request.getBaseRequest(ctx.req());
            EndPoint endPoint = base.getHttpChannel().getEndPoint();
            for (int i = 0; i < 15; i++) {
                seen.add(i * 200 + " ms: open " + endPoint.isOpen() + ", input shut " + endPoint.isInputShutdown()
                        + ", output shut " + endPoint.isOutputShutdown() + ", " + base.getHttpChannelState());
                Thread.sleep(200);
            }
        }).start("127.0.0.1", 0);
        try {
            for (String mode : List.of("close", "rst")) {
                seen.clear();
                try (Socket socket = new Socket("127.0.0.1", app.port())) {
                    OutputStream out = socket.getOutputStream();
                    out.write("POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabc"
                            .getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    Thread.sleep(500);
                    if (mode.equals("rst")) {
                        socket.setSoLinger(true, 0);
                    }
                }
                Thread.sleep(3_000);
                System.out.println("client " + mode + " 500 ms after its request; the handler saw:");
                synchronized (seen) {
                    seen.forEach(line -> System.out.println("  " + line));
                }
            }
        } finally {
            app.stop();
        }
    }
}
