// Asio and Beast, compiled once for the whole library (BOOST_ASIO_SEPARATE_COMPILATION and
// BOOST_BEAST_SEPARATE_COMPILATION are set in CMakeLists.txt): every other file includes only
// their declarations, which keeps a file that uses them from taking ~10 s to compile.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
