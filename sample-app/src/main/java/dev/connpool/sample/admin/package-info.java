/**
 * Spring Boot Admin inside the sample app: the admin server under {@code /admin}, with the app
 * registered in it, and the {@code connpools} view that the UI extension under
 * {@code META-INF/spring-boot-admin-server-ui/extensions/connpools/} adds to it. Off with
 * {@code sample.admin.enabled=false}.
 */
package dev.connpool.sample.admin;
