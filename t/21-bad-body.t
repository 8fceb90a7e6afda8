#!/usr/bin/perl

# Bodies the module cannot inspect are denied (InvalidBody), too large
# ones get 413 (BodyTooLarge); azoai_invalid_body pass forwards malformed
# bodies unchanged.  NGINX keeps serving and logs nothing alarming.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Compress::Gzip qw(gzip);
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new;

$t->write_catalog;
$t->write_conf(<<'EOF');
    azoai_catalog %%CATALOG%%;
    client_max_body_size 20m;

    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        azoai_max_body_size 8m;
        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_PASS%%;
        azoai on;
        azoai_max_body_size 8m;
        azoai_invalid_body pass;
        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->start_upstream->start;

my $PATH = '/openai/v1/chat/completions';
my $CHAT = '"messages":[{"role":"user","content":"hi"}]';

sub req {
    my ($body, %o) = @_;
    return {
        method  => 'POST',
        path    => $PATH,
        headers => [['Content-Type', 'application/json'],
                    @{$o{headers} || []}],
        ($o{chunked} ? (chunked => $o{chunked}) : (body => $body)),
        port    => $o{port},
    };
}

sub nested {
    my ($depth) = @_;
    return qq({"model":"chat-prod",$CHAT,"x":) . ('[' x ($depth - 1))
        . ']' x ($depth - 1) . '}';
}

my $gz;
gzip(\qq({"model":"chat-prod",$CHAT}) => \$gz);

my %bad = (
    'truncated JSON'  => qq({"model":"chat-prod","messages":[{"role":"us),
    'not JSON'        => "model=chat-prod&prompt=hi",
    'trailing bytes'  => qq({"model":"chat-prod",$CHAT} {}),
    'invalid UTF-8'   => qq({"model":"chat-prod","messages":[{"role":)
                         . qq("user","content":"\xff\xfe\xc3"}]}),
    'unquoted key'    => qq({model:"chat-prod",$CHAT}),
    'nested 100 deep' => nested(100),
);

for my $name (sort keys %bad) {
    $t->expect_denied(req($bad{$name}), 400, 'InvalidBody', $name);
}

$t->expect_denied(req($gz, headers => [['Content-Encoding', 'gzip']]),
                  400, 'InvalidBody', 'Content-Encoding: gzip body');

$t->expect_allowed(req(nested(30)), 'nested 30 deep is fine');

# size limit
my $pad = 'a' x (12 * 1024 * 1024);
my $huge = qq({"model":"chat-prod","messages":[{"role":"user",)
    . qq("content":"$pad"}]});

$t->expect_denied(req($huge), 413, 'BodyTooLarge',
                  '12 MB body, Content-Length');
$t->expect_denied(req(undef, chunked => [map { substr($huge, $_ * 1048576,
                                                      1048576) }
                                             0 .. 12]),
                  413, 'BodyTooLarge', '12 MB body, chunked');

my $under = qq({"model":"chat-prod","messages":[{"role":"user",)
    . qq("content":") . ('b' x (7 * 1024 * 1024)) . qq("}]});
$t->expect_allowed(req($under), '7 MB body is under the limit');

# azoai_invalid_body pass
my $pp = $t->port('pass');

for my $name (sort keys %bad) {
    $t->expect_allowed(req($bad{$name}, port => $pp),
                       "pass: $name forwarded unchanged", decision => undef);
}
$t->expect_allowed(req($gz, port => $pp,
                       headers => [['Content-Encoding', 'gzip']]),
                   'pass: gzip body forwarded unchanged', decision => undef);
$t->expect_denied(req($huge, port => $pp), 413, 'BodyTooLarge',
                  'pass: 12 MB body still denied');
$t->expect_denied(req(qq({"model":"chat-preview",$CHAT}), port => $pp),
                  403, 'PreviewModelBlocked',
                  'pass: a readable body is still checked');

# still serving
$t->expect_allowed(req(qq({"model":"chat-prod",$CHAT})),
                   'still serving after bad bodies');

$t->error_log_clean;

done_testing;
