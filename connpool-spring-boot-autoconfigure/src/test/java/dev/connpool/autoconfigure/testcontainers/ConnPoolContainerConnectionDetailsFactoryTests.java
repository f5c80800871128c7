package dev.connpool.autoconfigure.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import dev.connpool.autoconfigure.ConnPoolConnectionDetails;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.service.connection.ConnectionDetails;
import org.springframework.boot.autoconfigure.service.connection.ConnectionDetailsFactories;
import org.springframework.boot.autoconfigure.service.connection.ConnectionDetailsNotFoundException;
import org.springframework.boot.testcontainers.service.connection.ContainerConnectionSource;
import org.springframework.boot.testcontainers.service.connection.TestContainerConnectionSources;
import org.testcontainers.containers.Container;

/**
 * Which {@code @ServiceConnection} containers serve a pool: only those that ask for it with
 * {@code type = ConnPoolConnectionDetails.class}, and then the pool named by the annotation, or, without
 * a name, the one named like the image. Any other service connection is left to Boot and its other
 * factories. Tested on the source Spring Boot builds for the annotation, without a container (no Docker
 * engine here): the host and port the details read from a running container are not tested.
 */
class ConnPoolContainerConnectionDetailsFactoryTests {

    private final ConnPoolContainerConnectionDetailsFactory factory = new ConnPoolContainerConnectionDetailsFactory();

    /** Boot's own lookup, through every factory of {@code META-INF/spring.factories}. */
    private final ConnectionDetailsFactories factories = new ConnectionDetailsFactories(getClass().getClassLoader());

    @Test
    void aNamedServiceConnectionServesThePoolOfThatName() {
        ContainerConnectionSource<Container<?>> source = TestContainerConnectionSources.of("orders",
                "example/orders-backend:1", ConnPoolConnectionDetails.class);
        assertThat(ConnPoolContainerConnectionDetailsFactory.names(source, "orders")).isTrue();
        assertThat(ConnPoolContainerConnectionDetailsFactory.names(source, "users")).isFalse();
    }

    @Test
    void anUnnamedServiceConnectionServesThePoolNamedLikeItsImage() {
        ContainerConnectionSource<Container<?>> source = TestContainerConnectionSources.of("", "redis:7",
                ConnPoolConnectionDetails.class);
        assertThat(ConnPoolContainerConnectionDetailsFactory.names(source, "redis")).isTrue();
        assertThat(ConnPoolContainerConnectionDetailsFactory.names(source, "orders")).isFalse();
    }

    @Test
    void aServiceConnectionThatAsksForPoolDetailsGetsThemAndTheyAnswerOnlyForTheirPool() {
        ConnPoolConnectionDetails details = factory.getConnectionDetails(TestContainerConnectionSources
                .of("orders", "example/orders-backend:1", ConnPoolConnectionDetails.class));
        assertThat(details).isNotNull();
        // the container is not asked for a pool it does not serve
        assertThat(details.details("users")).isNull();
        Map<Class<?>, ConnectionDetails> found = factories.getConnectionDetails(TestContainerConnectionSources
                .of("orders", "example/orders-backend:1", ConnPoolConnectionDetails.class), true);
        assertThat(found).containsOnlyKeys(ConnPoolConnectionDetails.class);
    }

    @Test
    void aServiceConnectionWithoutATypeIsNotAPool() {
        assertThat(factory.getConnectionDetails(
                TestContainerConnectionSources.of("orders", "example/orders-backend:1"))).isNull();
        // a postgres container gets the JDBC/R2DBC details of Boot's factories (when present), never a pool's
        Map<Class<?>, ConnectionDetails> found = factories
                .getConnectionDetails(TestContainerConnectionSources.of("", "postgres:16"), false);
        assertThat(found).doesNotContainKey(ConnPoolConnectionDetails.class);
    }

    @Test
    void aServiceConnectionForAnotherTypeIsNotAPool() {
        assertThat(factory.getConnectionDetails(TestContainerConnectionSources.of("orders",
                "example/orders-backend:1", OtherDetails.class))).isNull();
        // naming the common super type is not asking for a pool either
        assertThat(factory.getConnectionDetails(TestContainerConnectionSources.of("orders",
                "example/orders-backend:1", ConnectionDetails.class))).isNull();
    }

    @Test
    void aContainerNoFactorySupportsStillFailsFast() {
        assertThatExceptionOfType(ConnectionDetailsNotFoundException.class)
                .isThrownBy(() -> factories.getConnectionDetails(
                        TestContainerConnectionSources.of("", "example/unsupported:1"), true));
    }

    interface OtherDetails extends ConnectionDetails {
    }
}
