#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace medic {

// Compares in time that depends only on the lengths, so a failed check does not reveal how
// much of a token or password hash matched.
bool SecretsEqual(std::string_view a, std::string_view b);

// Strict standard base64 (RFC 4648 §4): the length a multiple of 4, '=' only as the final one
// or two characters, no whitespace. nullopt for anything else or above `max_encoded_bytes`.
std::optional<std::string> DecodeBase64(std::string_view text,
                                        std::size_t max_encoded_bytes = 8192);

// A secret kept in a file (*_file keys, Docker and Kubernetes secrets): its content without the
// trailing newlines editors and `echo` add. nullopt when the file cannot be read.
std::optional<std::string> ReadSecretFile(const std::string& path);

}  // namespace medic
