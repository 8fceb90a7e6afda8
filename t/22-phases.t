#!/usr/bin/perl

# NGINX features that re-run phases or copy requests: internal redirects
# (error_page, try_files), mirror subrequests, satisfy any, unbuffered
# proxying.  Nothing gets around the checks, and no body leaves unmasked
# or is masked twice.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new(workers => 2);

$t->write_catalog;
$t->write_conf(<<'EOF');
    azoai_catalog %%CATALOG%%;
    log_format azoai '$http_x_test_id $azoai_decision $azoai_pii_count';

    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        azoai_pii on;
        access_log %%DIR%%/azoai.log azoai;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }

        # error_page to a named location re-sends the body
        location /openai/deployments/chat-prod/ {
            proxy_intercept_errors on;
            error_page 404 = @fallback;
            proxy_pass http://%%UPSTREAM%%;
        }
        location @fallback {
            proxy_set_header X-Test-Fallback yes;
            proxy_set_header X-Test-Response "";
            proxy_pass http://%%UPSTREAM%%;
        }

        # try_files: an internal redirect before the content phase
        location /openai/deployments/ {
            root %%DIR%%/empty;
            try_files /nothing-here @proxy;
        }
        location @proxy {
            proxy_pass http://%%UPSTREAM%%;
        }

        # a mirror subrequest copies the body to a second upstream request
        location /openai/v1/ {
            mirror /mirror;
            proxy_pass http://%%UPSTREAM%%;
        }
        location = /mirror {
            internal;
            proxy_set_header X-Test-Mirror yes;
            proxy_pass http://%%UPSTREAM%%$request_uri;
        }

        # satisfy any: another access module saying yes must not skip us
        location /openai/deployments/chat-preview/ {
            satisfy any;
            allow 127.0.0.1;
            deny all;
            proxy_pass http://%%UPSTREAM%%;
        }

        # unbuffered request bodies to the upstream
        location /openai/deployments/embed-prod/ {
            proxy_request_buffering off;
            proxy_http_version 1.1;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
mkdir "$t->{dir}/empty";
$t->start_upstream->start;

my $GA = 'api-version=2024-10-21';
my $EMAIL = 'jane.doe@example.com';
my $n = 0;

sub chat {
    my ($path, $model_or_dep, %o) = @_;
    my $body = '{' . ($path =~ m{/v1/} ? qq("model":"$model_or_dep",) : '')
        . ($path =~ /embeddings/ ? qq("input":"mail $EMAIL now"})
           : qq("messages":[{"role":"user","content":"mail $EMAIL now"}]}));
    my $id = 'p' . ++$n;
    return {
        method => 'POST',
        path => $path =~ m{/v1/} ? $path
                : "/openai/deployments/$model_or_dep$path?$GA",
        headers => [['Content-Type', 'application/json'],
                    ['X-Test-Id', $id], @{$o{headers} || []}],
        ($o{chunked} ? (chunked => [substr($body, 0, 10),
                                    substr($body, 10)])
                     : (body => $body)),
        id => $id,
    };
}

# each upstream copy of the body is masked exactly once
sub masked_once {
    my ($up, $name) = @_;
    ok($up->{body} !~ /\Q$EMAIL\E/ && $up->{body} =~ /mail \[EMAIL\] now/,
       "$name: masked") or diag($up->{body});
    is($up->{headers}{'content-length'}, length $up->{body},
       "$name: Content-Length matches");
}

# error_page: the fallback gets the masked body, once
{
    my $req = chat('/chat/completions', 'chat-prod',
                   headers => [['X-Test-Response', 'error']]);
    my $before = $t->upstream_count;
    my $r = $t->request($req);
    is($r->{status}, 200, 'error_page: fallback answered');
    my @up = $t->upstream_requests($before);
    is(scalar @up, 2, 'error_page: two upstream requests');
    masked_once($_, "error_page upstream request $_->{n}") for @up;
    is($up[1]{headers}{'x-test-fallback'}, 'yes', 'second is the fallback');
    like($t->access_log_wait(qr/^$req->{id} /, 'azoai.log'),
         qr/^$req->{id} allow 1$/, 'error_page: variables survive');
}

# try_files
{
    my ($up) = $t->expect_allowed(chat('/chat/completions', 'chat-mini'),
                                  'try_files: allowed', body => undef);
    masked_once($up, 'try_files') if $up;
    $t->expect_denied(chat('/chat/completions', 'old-chat'),
                      403, 'RetiredModelBlocked', 'try_files: still denied');
}

# mirror
{
    my $req = chat('/openai/v1/chat/completions', 'chat-prod');
    my $before = $t->upstream_count;
    my $r = $t->request($req);
    is($r->{status}, 200, 'mirror: allowed');
    # the mirror's request may finish after the main one
    my @up;
    for (1 .. 250) {
        @up = $t->upstream_requests($before);
        last if @up >= 2;
        select undef, undef, undef, 0.02;
    }
    is(scalar @up, 2, 'mirror: main and mirror requests');
    masked_once($_, 'mirror: ' . ($_->{headers}{'x-test-mirror'}
                                  ? 'mirror' : 'main')) for @up;

    $t->expect_denied(chat('/openai/v1/chat/completions', 'chat-preview'),
                      403, 'PreviewModelBlocked',
                      'mirror: denied request not mirrored');
}

# satisfy any
$t->expect_denied(chat('/chat/completions', 'chat-preview'),
                  403, 'PreviewModelBlocked', 'satisfy any: still denied');

# proxy_request_buffering off
{
    my $req = chat('/embeddings', 'embed-prod', chunked => 1);
    my ($up) = $t->expect_allowed($req, 'unbuffered: allowed',
                                  body => undef);
    masked_once($up, 'unbuffered') if $up;
}

$t->error_log_clean;

done_testing;
