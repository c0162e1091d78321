#include "sasl/gs2.hpp"

#include <gtest/gtest.h>

#include <string>

namespace postern::sasl {
namespace {

using namespace std::string_literals;

TEST(Gs2Header, ParsesTheThreeFlags) {
  auto n = parse_gs2_header("n,,n=user,r=x");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->flag, Gs2Header::Flag::n);
  EXPECT_EQ(n->size, 3u);
  EXPECT_EQ(n->authzid, "");

  auto y = parse_gs2_header("y,a=admin,rest");
  ASSERT_TRUE(y.has_value());
  EXPECT_EQ(y->flag, Gs2Header::Flag::y);
  EXPECT_EQ(y->authzid, "admin");
  EXPECT_EQ(y->size, 10u);

  auto p = parse_gs2_header("p=tls-server-end-point,a=a=3Db=2Cc,");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->flag, Gs2Header::Flag::p);
  EXPECT_EQ(p->cb_name, "tls-server-end-point");
  EXPECT_EQ(p->authzid, "a=b,c");
  EXPECT_EQ(p->size, 35u);
}

TEST(Gs2Header, RefusesWhatIsNotAHeader) {
  for (const std::string& bad : {""s, "n"s, "n,"s, "n,a=x"s, "N,,"s, "F,n,,"s, "p=,,"s, "p=tls_unique,,"s,
                                 "p=tls-unique"s, "y,b=x,"s, "n,a=,"s, "n,a=x=2,"s, "n,a=\0,"s}) {
    EXPECT_FALSE(parse_gs2_header(bad).has_value()) << bad;
  }
}

TEST(Gs2Header, EveryTruncationOfAHeaderIsRefused) {
  std::string header = "p=tls-exporter,a=admin=2Cx,";
  for (std::size_t k = 0; k < header.size(); ++k) {
    EXPECT_FALSE(parse_gs2_header(std::string_view(header).substr(0, k)).has_value()) << k;
  }
  EXPECT_TRUE(parse_gs2_header(header).has_value());
}

TEST(Saslname, DecodesOnlyTheTwoEscapes) {
  EXPECT_EQ(decode_saslname("a=2Cb=3Dc"), "a,b=c");
  EXPECT_EQ(decode_saslname("=3D=3D"), "==");
  EXPECT_EQ(decode_saslname("j\xc3\xbcrgen"), "j\xc3\xbcrgen");
  for (const std::string& bad : {""s, "a,b"s, "a=b"s, "a=2c"s, "a=3d"s, "a=41"s, "a="s, "a=2"s, "a\0b"s, "\xff"s}) {
    EXPECT_FALSE(decode_saslname(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace postern::sasl
