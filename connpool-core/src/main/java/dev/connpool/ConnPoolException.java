package dev.connpool;

import java.io.IOException;

/**
 * Base class of the exceptions a pool throws from {@link ConnPool#get()}. It is an
 * {@link IOException} so that code already handling I/O failures handles the pool's too.
 */
public class ConnPoolException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message.
     *
     * @param message what went wrong, naming the pool
     */
    public ConnPoolException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and the failure that caused it.
     *
     * @param message what went wrong, naming the pool
     * @param cause the underlying failure, kept for the caller
     */
    public ConnPoolException(String message, Throwable cause) {
        super(message, cause);
    }
}
