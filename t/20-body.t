#!/usr/bin/perl

# Every way a request body can arrive (in memory, spooled to a temp file,
# chunked, after 100 Continue, slowly, over HTTP/2) is inspected: a body
# naming a preview model is denied in each shape, and an allowed body
# reaches the upstream byte for byte with a correct Content-Length.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new;

$t->write_catalog;
$t->write_conf(<<'EOF');
    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:%%PORT_H2%% http2;
        azoai on;
        azoai_pii off;
        azoai_catalog %%CATALOG%%;
        client_body_buffer_size 1k;
        client_max_body_size 1m;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->start_upstream->start;

my $PATH = '/openai/v1/chat/completions';

# bytes a JSON round trip would change: big integers, escapes, spacing,
# key order, duplicate keys
sub small_body {
    my ($model) = @_;
    return qq({ "model" : "$model",\n  "messages":[{"role":"user",)
        . qq("content":"caf\\u00e9 \\"quoted\\" \\/ tab\\t"}],)
        . qq("seed":9007199254740993, "temperature":0.70,"top_p":1e0,)
        . qq("metadata":{"b":"1","a":"2","a":"3"}}\n);
}

# 64 KB, model last: the module has to read the whole (spooled) body
sub big_body {
    my ($model) = @_;
    my $text = 'lorem ipsum dolor sit amet ' x 2500;
    return qq({"messages":[{"role":"user","content":"$text"}],)
        . qq( "max_tokens":16,"model":"$model"});
}

sub shapes {
    my ($body) = @_;
    my $head = "POST $PATH HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\nContent-Type: application/json\r\n";
    my $third = int(length($body) / 3);

    return (
        ['content-length', {
            method => 'POST', path => $PATH, body => $body,
            headers => [['Content-Type', 'application/json']] }],
        ['chunked', {
            method => 'POST', path => $PATH, body => $body,
            headers => [['Content-Type', 'application/json']],
            chunked => [substr($body, 0, 7), substr($body, 7, $third),
                        substr($body, 7 + $third)] }],
        ['expect 100-continue', {
            path => $PATH, body => $body, expect_100 => 1,
            parts => [$head . "Expect: 100-continue\r\nContent-Length: "
                      . length($body) . "\r\n\r\n", $body] }],
        ['slow sender', {
            path => $PATH, body => $body, delay => 0.05,
            parts => [$head . "Content-Length: " . length($body)
                      . "\r\n\r\n", substr($body, 0, 5),
                      substr($body, 5, $third), substr($body, 5 + $third)] }],
        ['HTTP/2', {
            via => 'h2', port => $t->port('h2'), method => 'POST',
            path => $PATH, body => $body,
            headers => [['Content-Type', 'application/json']] }],
    );
}

for my $size (['small', \&small_body], ['64 KB', \&big_body]) {
    my ($what, $make) = @$size;

    for my $s (shapes($make->('chat-prod'))) {
        my ($shape, $req) = @$s;
        SKIP: {
            skip 'curl lacks HTTP/2', 1
                if $shape eq 'HTTP/2' && !curl_h2_available();
            my ($up, $r) = $t->expect_allowed($req,
                "$what body, $shape: forwarded byte-identical");
            if ($shape =~ /expect/) {
                ok($r->{got_100}, "$what body, $shape: got 100 Continue");
            }
            if ($up) {
                ok(!exists $up->{headers}{'transfer-encoding'},
                   "$what body, $shape: not chunked upstream");
            }
        }
    }

    for my $s (shapes($make->('chat-preview'))) {
        my ($shape, $req) = @$s;
        SKIP: {
            skip 'curl lacks HTTP/2', 2
                if $shape eq 'HTTP/2' && !curl_h2_available();
            $t->expect_denied($req, 403, 'PreviewModelBlocked',
                              "$what body, $shape: preview model denied");
        }
    }
}

like($t->error_log, qr/client request body is buffered to a temporary/,
     'the 64 KB bodies were spooled to a file');

$t->error_log_clean;

done_testing;
