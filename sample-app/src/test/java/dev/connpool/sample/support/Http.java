package dev.connpool.sample.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A real HTTP client against the application under test: one connection per call, closed after it
 * (no client thread or pooled socket left behind), every call bounded. An I/O error is thrown as
 * an {@link UncheckedIOException}, so that calls fit in the lambdas of a poll-until-deadline.
 */
public final class Http {

    private static final int TIMEOUT_MILLIS = 15_000;

    private final int port;

    public Http(int port) {
        this.port = port;
    }

    /** A response: status, content type and body. */
    public record Response(int status, String contentType, String body) {

        @Override
        public String toString() {
            return status + " " + contentType + " " + body;
        }
    }

    /** A query parameter value, URL-encoded. */
    public static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    public Response get(String path) {
        return send("GET", path, null, null);
    }

    /** A GET that asks for JSON (Spring Boot Admin's API answers a browser's Accept with its UI). */
    public Response getJson(String path) {
        return send("GET", path, null, "application/json");
    }

    public Response postJson(String path, String json) {
        return send("POST", path, json, null);
    }

    /**
     * A POST of JSON with headers of the caller's choosing, {@code Host} and {@code Origin} included
     * (which {@link HttpURLConnection} does not let a caller set): written on a plain socket, as a
     * browser or a script of another site would send it. The {@code Host} defaults to the one a local
     * client sends. The body is returned as the server sent it (chunks and all).
     */
    public Response postJsonWithHeaders(String path, String json, Map<String, String> headers) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        StringBuilder request = new StringBuilder("POST " + path + " HTTP/1.1\r\n");
        if (!headers.containsKey("Host")) {
            request.append("Host: 127.0.0.1:").append(port).append("\r\n");
        }
        headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
        request.append("Content-Type: application/json\r\nContent-Length: ").append(body.length)
                .append("\r\nConnection: close\r\n\r\n");
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), TIMEOUT_MILLIS);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            out.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int status = Integer.parseInt(answer.substring(answer.indexOf(' ') + 1, answer.indexOf(' ') + 4));
            int headersEnd = answer.indexOf("\r\n\r\n");
            String contentType = answer.lines()
                    .filter(l -> l.regionMatches(true, 0, "Content-Type:", 0, 13))
                    .map(l -> l.substring(13).trim()).findFirst().orElse("null");
            return new Response(status, contentType, headersEnd < 0 ? "" : answer.substring(headersEnd + 4));
        } catch (IOException e) {
            throw new UncheckedIOException("POST " + path + ": " + e, e);
        }
    }

    private Response send(String method, String path, String json, String accept) {
        try {
            return exchange(method, path, json, accept);
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + ": " + e, e);
        }
    }

    private Response exchange(String method, String path, String json, String accept) throws IOException {
        HttpURLConnection conn = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL()
                .openConnection();
        try {
            conn.setRequestMethod(method);
            conn.setConnectTimeout(TIMEOUT_MILLIS);
            conn.setReadTimeout(TIMEOUT_MILLIS);
            conn.setUseCaches(false);
            conn.setRequestProperty("Connection", "close");
            if (accept != null) {
                conn.setRequestProperty("Accept", accept);
            }
            if (json != null) {
                conn.setDoOutput(true);
                conn.setRequestProperty("Content-Type", "application/json");
                try (OutputStream out = conn.getOutputStream()) {
                    out.write(json.getBytes(StandardCharsets.UTF_8));
                }
            }
            int status = conn.getResponseCode();
            InputStream in = status >= 400 ? conn.getErrorStream() : conn.getInputStream();
            String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return new Response(status, String.valueOf(conn.getContentType()), body);
        } finally {
            conn.disconnect();
        }
    }
}
