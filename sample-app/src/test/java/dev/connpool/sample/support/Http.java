package dev.connpool.sample.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

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
