/** Small technology-free implementations of outbound ports that every deployment uses. */
package io.userstream.application.support;
